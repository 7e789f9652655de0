/**
 * A numpy array to stream by records (first-axis slices): from a `.npy` file (read by offset) or from an entry of
 * an `.npz` zip (a stored entry is read from an offset; a deflated one, as written by savez_compressed, is inflated
 * as a stream from its start). Zip reading is yauzl's.
 */
import { basename } from 'node:path';
import yauzl from 'yauzl';
import type { ByteSource } from '../io/types';
import { datasetError } from './datasetError';
import { openFileByteSource } from './fileByteSource';
import { npyHeaderLength, prefixSource, readDatasetNpyHeader, type NpyHeader } from './npyHeader';
import { randomAccessRecords, streamRecords, type RecordSource } from './recordSource';
import { StreamReader } from './streamReader';

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

export async function openNpzFile(path: string): Promise<NpzFile> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (err) {
    throw datasetError(`${basename(path)} is not a readable .npz (zip) file: ${(err as Error).message}`, err);
  }
  const entries = new Map<string, yauzl.Entry>();
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        if (e.fileName.endsWith('.npy')) entries.set(e.fileName.slice(0, -4), e);
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', reject);
      zip.readEntry();
    });
  } catch (err) {
    zip.close();
    throw datasetError(`${basename(path)} is a corrupt .npz file: ${(err as Error).message}`, err);
  }
  const file = basename(path);
  const openStream = async (entry: yauzl.Entry, offset: number): Promise<{ stream: AsyncIterable<Uint8Array>; at: number }> => {
    if (!entry.isCompressed()) {
      const start = Math.min(offset, entry.compressedSize);
      return { stream: await zip.openReadStreamPromise(entry, { start, end: entry.compressedSize, decodeFileData: false }), at: start };
    }
    return { stream: await zip.openReadStreamPromise(entry), at: 0 };
  };
  return {
    names: [...entries.keys()],
    async open(name) {
      const entry = entries.get(name);
      if (!entry) throw datasetError(`${file} has no array '${name}'`);
      const label = `${file}:${name}`;
      const reader = new StreamReader((await openStream(entry, 0)).stream, label);
      let header: NpyHeader;
      try {
        const first = await reader.readExact(Math.min(12, entry.uncompressedSize));
        const len = npyHeaderLength(label, first);
        if (len > entry.uncompressedSize || len > (1 << 20) + 12) throw datasetError(`${label}: its .npy header length ${len} runs past the end of the entry`);
        const all = new Uint8Array(len);
        all.set(first);
        all.set(await reader.readExact(len - first.length), first.length);
        header = await readDatasetNpyHeader(prefixSource(all, entry.uncompressedSize), label);
      } finally {
        await reader.close();
      }
      const { count, recordBytes } = recordLayout(label, header);
      return { label, header, records: streamRecords(label, (o) => openStream(entry, o), header.dataOffset, count, recordBytes) };
    },
    async close() {
      zip.close();
    },
  };
}
