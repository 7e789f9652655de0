/**
 * A numpy array to stream by records (first-axis slices): from a `.npy` file (read by offset) or from an entry of
 * an `.npz` zip (a stored entry is read from an offset; a deflated one, as written by savez_compressed, is inflated
 * as a stream from its start). Zip reading is the io layer's ZipArchive.
 */
import { basename } from 'node:path';
import { SoftMoeError } from '../errors';
import type { ByteSource } from '../io/types';
import { npzArrays, ZipEntrySource } from '../io/npz';
import { ZipArchive } from '../io/zipArchive';
import { bytesText, clip, shapeText } from '../quote';
import { datasetError } from './datasetError';
import { asDatasetError, openFileByteSource } from './fileByteSource';
import { MAX_RECORD_BYTES } from './limits';
import { readDatasetNpyHeader, type NpyHeader } from './npyHeader';
import { randomAccessRecords, streamRecords, type RecordSource } from './recordSource';

export interface NpyArray {
  label: string;
  header: NpyHeader;
  /** Records along the first axis. */
  records: RecordSource;
}

function recordLayout(label: string, h: NpyHeader): { count: number; recordBytes: number } {
  if (h.shape.length === 0) throw datasetError(`${label} is a scalar, not an array of examples`);
  if (h.fortranOrder && h.shape.length > 1) {
    throw datasetError(`${label} is stored in Fortran order; save it with np.ascontiguousarray(arr)`);
  }
  const recordBytes = h.shape.slice(1).reduce((a, b) => a * b, 1) * h.itemSize;
  if (recordBytes > MAX_RECORD_BYTES) throw datasetError(`${label}: one example of ${shapeText(h.shape.slice(1), 6, true)} is ${bytesText(recordBytes)}, more than the ${bytesText(MAX_RECORD_BYTES)} an example may have`);
  return { count: h.shape[0], recordBytes };
}

export async function openNpyFile(path: string): Promise<{ array: NpyArray; source: ByteSource }> {
  const src = await openFileByteSource(path);
  try {
    const label = basename(path);
    const header = await readDatasetNpyHeader(src, label);
    const { count, recordBytes } = recordLayout(label, header);
    return { array: { label, header, records: randomAccessRecords(src, header.dataOffset, count, recordBytes) }, source: src };
  } catch (err) {
    await src.close();
    throw err;
  }
}

export interface NpzFile {
  /** Array names (entry names without `.npy`). */
  names: string[];
  open(name: string): Promise<NpyArray>;
  close(): Promise<void>;
}

/** Errors of a zip stream as dataset errors naming the file. */
async function* datasetStream(stream: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    yield* stream;
  } catch (err) {
    throw asDatasetError(err);
  }
}

/**
 * An .npz dataset through the io layer's .npz reader (io/npz.ts, the one checkpoints use): the same member rule and
 * header parser, the directory checked against the file before anything is read; a stored member streams from an
 * offset, a deflated one inflates from its start.
 */
export async function openNpzFile(path: string): Promise<NpzFile> {
  const file = basename(path);
  const src = await openFileByteSource(path);
  let zip: ZipArchive;
  try {
    zip = await ZipArchive.open(src, file);
  } catch (err) {
    await src.close();
    if (err instanceof SoftMoeError && err.code !== 'E_DATASET') throw datasetError(`${file} is not a readable .npz (zip) file: ${err.userMessage.replace(`${file}: `, '')}`, err);
    throw err;
  }
  let arrays: Map<string, string>;
  try {
    arrays = npzArrays(zip, file);
  } catch (err) {
    zip.close();
    await src.close();
    throw asDatasetError(err);
  }
  return {
    names: [...arrays.keys()],
    async open(name) {
      const member = arrays.get(name);
      if (!member) throw datasetError(`${file} has no array '${clip(name)}'`);
      const label = `${file}:${clip(name)}`;
      const header = await readDatasetNpyHeader(new ZipEntrySource(zip, member), label).catch((err: unknown) => {
        throw asDatasetError(err);
      });
      const { count, recordBytes } = recordLayout(label, header);
      const openAt = async (o: number) => {
        const opened = await zip.openStream(member, o).catch((err: unknown) => {
          throw asDatasetError(err);
        });
        return { stream: datasetStream(opened.stream), at: opened.at };
      };
      return { label, header, records: streamRecords(label, openAt, header.dataOffset, count, recordBytes) };
    },
    async close() {
      zip.close();
      await src.close();
    },
  };
}
