/**
 * Gzip files read as streams (node:zlib), never inflated whole: a dataset keeps only the current batch.
 * Reading from example `start` decompresses and drops everything before it (gzip cannot seek); a full pass costs
 * one decompression, as much as reading the file once.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { OpenedStream } from './recordSource';
import { StreamReader } from './streamReader';
import { datasetError } from './datasetError';

export async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = new Uint8Array(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/** A decompressed stream of the whole file, from byte 0. */
export function openGunzip(path: string): OpenedStream {
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  file.on('error', (err) => gunzip.destroy(err));
  gunzip.on('close', () => file.destroy());
  file.pipe(gunzip);
  return { stream: gunzip, at: 0 };
}

/** The gzip trailer's ISIZE: uncompressed length mod 2³² (of the last member). */
export async function gzipTrailerSize(path: string): Promise<number | undefined> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size < 18) return undefined;
    const b = Buffer.alloc(4);
    await fh.read(b, 0, 4, size - 4);
    return b.readUInt32LE(0);
  } finally {
    await fh.close();
  }
}

/**
 * Check that a gzip file decompresses to at least `needed` bytes. The trailer answers at once for a sound file;
 * if it disagrees (a truncated download, or several gzip members) the file is streamed through once to count.
 */
export async function checkGunzipLength(path: string, needed: number): Promise<void> {
  const trailer = await gzipTrailerSize(path);
  if (trailer !== undefined && trailer === needed % 2 ** 32) return;
  const reader = new StreamReader(openGunzip(path).stream, path);
  try {
    await reader.skip(needed);
  } catch (err) {
    if (err instanceof Error && 'userMessage' in err) throw err;
    throw datasetError(`${path} cannot be decompressed`, err);
  } finally {
    await reader.close();
  }
}
