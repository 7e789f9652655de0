/**
 * One IDX file (MNIST's format), raw or gzipped: magic 0x0000 TT DD (TT 0x08 = unsigned byte, DD dimensions), then
 * DD big-endian uint32 sizes, then the data. Opening reads the header and checks the length; records are read later.
 */
import { basename } from 'node:path';
import type { ByteSource } from '../io/types';
import { datasetError } from './datasetError';
import { openFileByteSource } from './fileByteSource';
import { bytesText, shapeText } from '../quote';
import { checkGunzipLength, isGzip, openGunzip } from './gzipStream';
import { MAX_RECORD_BYTES } from './limits';
import { randomAccessRecords, streamRecords, type RecordSource } from './recordSource';
import { StreamReader } from './streamReader';

export interface IdxFile {
  path: string;
  gzipped: boolean;
  /** Sizes from the header, first is the number of records. */
  dims: number[];
  records: RecordSource;
  close(): Promise<void>;
}

const TYPE_NAMES: Record<number, string> = { 0x08: 'uint8', 0x09: 'int8', 0x0b: 'int16', 0x0c: 'int32', 0x0d: 'float32', 0x0e: 'float64' };

/** Open an IDX file (raw or gzipped) and check that it holds every record its header promises. */
export async function openIdxFile(path: string): Promise<IdxFile> {
  const src = await openFileByteSource(path);
  try {
    // `await`, not a bare return: a rejection must reach the catch below, which closes the file.
    return await ((await isGzip(src)) ? openGzippedIdx(path, src) : openRawIdx(path, src));
  } catch (err) {
    await src.close();
    throw err;
  }
}

async function openRawIdx(path: string, src: ByteSource): Promise<IdxFile> {
  const magic = src.size >= 4 ? await src.read(0, 4) : new Uint8Array(0);
  const dims = await parseHeader(path, magic, (n) => src.read(4, n), src.size);
  const { headerBytes, recordBytes, needed } = layout(path, dims);
  if (src.size < needed) {
    throw datasetError(`${path} is truncated: its header promises ${dims[0]} records (${bytesText(needed)}) but the file has ${bytesText(src.size)}`);
  }
  return { path, gzipped: false, dims, records: randomAccessRecords(src, headerBytes, dims[0], recordBytes), close: () => src.close() };
}

async function openGzippedIdx(path: string, src: ByteSource): Promise<IdxFile> {
  const reader = new StreamReader(openGunzip(src).stream, path);
  let dims: number[];
  try {
    // Too short for a magic number reads as an empty one; a stream that cannot be decompressed says so.
    const magic = await reader.readExact(4).catch((err: unknown) => {
      if (err instanceof Error && /is truncated/.test(err.message)) return new Uint8Array(0);
      throw err;
    });
    dims = await parseHeader(path, magic, (n) => reader.readExact(n), Infinity);
  } finally {
    await reader.close();
  }
  const { headerBytes, recordBytes, needed } = layout(path, dims);
  try {
    await checkGunzipLength(src, path, needed);
  } catch (err) {
    if (err instanceof Error && 'userMessage' in err && /truncated/.test(err.message) && !/promises/.test(err.message)) {
      throw datasetError(`${path} is truncated: its header promises ${dims[0]} records (${bytesText(needed)} uncompressed) but the data ends early`, err);
    }
    throw err;
  }
  const records = streamRecords(path, async () => openGunzip(src), headerBytes, dims[0], recordBytes);
  return { path, gzipped: true, dims, records, close: () => src.close() };
}

/** Bytes of the header, of one record and of the whole file as the header describes them (safe integers, or E_DATASET). */
function layout(path: string, dims: number[]): { headerBytes: number; recordBytes: number; needed: number } {
  const headerBytes = 4 + 4 * dims.length;
  const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const needed = headerBytes + dims[0] * recordBytes;
  if (!Number.isSafeInteger(needed)) {
    throw datasetError(`${basename(path)} is corrupt: its header's sizes ${shapeText(dims)} describe more data than any file holds`);
  }
  if (recordBytes > MAX_RECORD_BYTES) {
    throw datasetError(`${basename(path)}: one example of ${shapeText(dims.slice(1))} is ${bytesText(recordBytes)}, more than the ${bytesText(MAX_RECORD_BYTES)} an example may have`);
  }
  return { headerBytes, recordBytes, needed };
}

async function parseHeader(
  path: string,
  magic: Uint8Array,
  readDims: (n: number) => Promise<Uint8Array>,
  fileSize: number,
): Promise<number[]> {
  const name = basename(path);
  if (magic.length < 4 || magic[0] !== 0 || magic[1] !== 0 || magic[3] === 0 || magic[3] > 4) {
    const hex = Array.from(magic.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join('');
    throw datasetError(`${name} is not an IDX file: wrong magic number 0x${hex || '(empty file)'}`);
  }
  if (magic[2] !== 0x08) {
    throw datasetError(`${name} holds ${TYPE_NAMES[magic[2]] ?? `type 0x${magic[2].toString(16)}`} data; only unsigned-byte IDX files (type 0x08) are read`);
  }
  const nd = magic[3];
  if (fileSize < 4 + 4 * nd) throw datasetError(`${name} is truncated: its header is incomplete`);
  const raw = await readDims(4 * nd);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  return Array.from({ length: nd }, (_, i) => view.getUint32(4 * i, false));
}
