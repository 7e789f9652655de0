/**
 * Gzip files read as streams (node:zlib), never inflated whole: a dataset keeps only the current batch.
 * Reading from example `start` decompresses and drops everything before it (gzip cannot seek); a full pass costs
 * one decompression, as much as reading the file once. The compressed bytes come from the file's ByteSource, so
 * only a regular file is read, and never past the size it had when it was opened.
 */
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { sourceChunks } from '../io/fileSource';
import type { ByteSource } from '../io/types';
import { bytesText } from '../quote';
import type { OpenedStream } from './recordSource';
import { StreamReader } from './streamReader';
import { datasetError } from './datasetError';

/** Deflate expands by at most about 1032:1; a gzip header cannot promise more than that of its file. */
export const GZIP_MAX_RATIO = 1032;

export async function isGzip(src: ByteSource): Promise<boolean> {
  if (src.size < 2) return false;
  const b = await src.read(0, 2);
  return b[0] === 0x1f && b[1] === 0x8b;
}

/** A decompressed stream of the whole file, from byte 0. */
export function openGunzip(src: ByteSource): OpenedStream {
  const file = Readable.from(sourceChunks(src), { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  file.on('error', (err) => gunzip.destroy(err));
  gunzip.on('close', () => file.destroy());
  file.pipe(gunzip);
  return { stream: gunzip, at: 0 };
}

/** The gzip trailer's ISIZE: uncompressed length mod 2³² (of the last member). */
export async function gzipTrailerSize(src: ByteSource): Promise<number | undefined> {
  if (src.size < 18) return undefined;
  const b = await src.read(src.size - 4, 4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
}

/**
 * Check that a gzip file decompresses to at least `needed` bytes. A promise no gzip of this size can keep is
 * refused at once; the trailer answers for a sound file below 4 GiB; otherwise (a truncated download, several gzip
 * members, 4 GiB or more) the file is streamed through once to count.
 */
export async function checkGunzipLength(src: ByteSource, label: string, needed: number): Promise<void> {
  if (needed > src.size * GZIP_MAX_RATIO + 1024) {
    throw datasetError(`${label} is truncated or corrupt: its header promises ${bytesText(needed)} uncompressed, more than a gzip file of ${bytesText(src.size)} can hold`);
  }
  const trailer = await gzipTrailerSize(src);
  if (trailer !== undefined && needed < 2 ** 32 && trailer === needed) return;
  const reader = new StreamReader(openGunzip(src).stream, label);
  try {
    await reader.skip(needed);
  } catch (err) {
    if (err instanceof Error && 'userMessage' in err) throw err;
    throw datasetError(`${label} cannot be decompressed`, err);
  } finally {
    await reader.close();
  }
}
