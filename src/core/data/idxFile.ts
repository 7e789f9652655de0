/**
 * One IDX file (MNIST's format), raw or gzipped: magic 0x0000 TT DD (TT 0x08 = unsigned byte, DD dimensions), then
 * DD big-endian uint32 sizes, then the data. Opening reads the header and checks the length; records are read later.
 */
import { basename } from 'node:path';
import type { ByteSource } from '../io/types';
import { datasetError } from './datasetError';
import { openFileByteSource } from './fileByteSource';
import { checkGunzipLength, isGzip, openGunzip } from './gzipStream';
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

export async function openIdxFile(path: string): Promise<IdxFile> {
  const gzipped = await isGzip(path);
  if (gzipped) return openGzippedIdx(path);
  const src = await openFileByteSource(path);
  try {
    const magic = src.size >= 4 ? await src.read(0, 4) : new Uint8Array(0);
    const dims = await parseHeader(path, magic, (n) => src.read(4, n), src.size);
    return finishRaw(path, src, dims);
  } catch (err) {
    await src.close();
    throw err;
  }
}

async function finishRaw(path: string, src: ByteSource, dims: number[]): Promise<IdxFile> {
  const headerBytes = 4 + 4 * dims.length;
  const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const needed = headerBytes + dims[0] * recordBytes;
  if (src.size < needed) {
    throw datasetError(`${path} is truncated: its header promises ${dims[0]} records (${needed} bytes) but the file has ${src.size} bytes`);
  }
  return { path, gzipped: false, dims, records: randomAccessRecords(src, headerBytes, dims[0], recordBytes), close: () => src.close() };
}

async function openGzippedIdx(path: string): Promise<IdxFile> {
  const reader = new StreamReader(openGunzip(path).stream, path);
  let dims: number[];
  try {
    const magic = await reader.readExact(4).catch(() => new Uint8Array(0));
    dims = await parseHeader(path, magic, (n) => reader.readExact(n), Infinity);
  } finally {
    await reader.close();
  }
  const headerBytes = 4 + 4 * dims.length;
  const recordBytes = dims.slice(1).reduce((a, b) => a * b, 1);
  const needed = headerBytes + dims[0] * recordBytes;
  try {
    await checkGunzipLength(path, needed);
  } catch (err) {
    if (err instanceof Error && 'userMessage' in err && /truncated/.test(err.message)) {
      throw datasetError(`${path} is truncated: its header promises ${dims[0]} records (${needed} bytes uncompressed) but the data ends early`, err);
    }
    throw err;
  }
  const records = streamRecords(path, async () => openGunzip(path), headerBytes, dims[0], recordBytes);
  return { path, gzipped: true, dims, records, close: async () => undefined };
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
