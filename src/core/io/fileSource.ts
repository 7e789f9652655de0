/**
 * Byte sources: random access to a file (through one `fs/promises` FileHandle) or to bytes in memory.
 * Every reader in src/core/io reads through a `ByteSource`, so nothing ever loads a whole file by accident
 * and a benchmark can count exactly which bytes were read.
 */
import { constants, type Stats } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { SoftMoeError } from '../errors';
import { bytesText } from '../quote';
import type { ByteSource } from './types';

/** Read-only, and never blocking in open() on a FIFO without a writer (O_NONBLOCK does not exist on Windows). */
const OPEN_FLAGS = constants.O_RDONLY | (process.platform === 'win32' ? 0 : constants.O_NONBLOCK);

/** 'a FIFO', 'a character device', … for messages. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  return 'not a plain file';
}

/** Check that [offset, offset+length) lies inside a source of `size` bytes; throw E_CORRUPT naming `label`. */
export function checkRange(label: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new SoftMoeError('E_CORRUPT', `${label}: read of ${bytesText(length)} at offset ${offset} is outside the file (${bytesText(size)}); the file is truncated or corrupt`);
  }
}

/** Random access to a file through one FileHandle. Open with `FileByteSource.open(path)`. */
export class FileByteSource implements ByteSource {
  readonly size: number;
  /** The path as given (used in error messages). */
  readonly path: string;
  private handle: FileHandle | undefined;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.handle = handle;
    this.size = size;
  }

  /**
   * Open `path` read-only. Only a regular file is read, after following links: a FIFO, a socket or a device
   * (/dev/zero, a terminal) would block or never end, so it is refused (E_FORMAT) — and the open itself never waits
   * for a FIFO's writer (O_NONBLOCK; the type is checked on the opened handle, so a file swapped in between cannot
   * slip through). Missing or unreadable → E_NOT_FOUND.
   */
  static async open(path: string): Promise<FileByteSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, OPEN_FLAGS);
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'ELOOP' ? 'too many levels of symbolic links' : code === 'EISDIR' ? 'is a folder, not a file' : `cannot open (${code ?? String(err)})`;
      throw new SoftMoeError(code === 'EISDIR' ? 'E_FORMAT' : 'E_NOT_FOUND', `${path}: ${why}`, { cause: err });
    }
    let st: Stats;
    try {
      st = await handle.stat();
    } catch (err) {
      await handle.close();
      throw new SoftMoeError('E_NOT_FOUND', `${path}: cannot read (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
    }
    if (!st.isFile()) {
      await handle.close();
      throw new SoftMoeError('E_FORMAT', `${path}: is ${fileKind(st)}, not a regular file`);
    }
    return new FileByteSource(path, handle, st.size);
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.path, this.size, offset, length);
    const handle = this.handle;
    if (!handle) throw new SoftMoeError('E_INTERNAL', `${this.path}: read after close`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) {
        throw new SoftMoeError('E_CORRUPT', `${this.path}: file ended early at byte ${offset + done} (it changed while being read?)`);
      }
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    if (h) await h.close();
  }

  /** Short display name. */
  get name(): string {
    return basename(this.path);
  }
}

/** Random access to bytes already in memory (tests, inflated zip entries). */
export class BufferByteSource implements ByteSource {
  readonly size: number;
  readonly path: string;
  private readonly bytes: Uint8Array;

  constructor(bytes: Uint8Array, path = '<memory>') {
    this.bytes = bytes;
    this.size = bytes.byteLength;
    this.path = path;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.path, this.size, offset, length);
    return this.bytes.slice(offset, offset + length);
  }

  async close(): Promise<void> {}
}

/** Wraps a source and counts the bytes and calls that go through it (for benchmarks and tests). */
export class CountingByteSource implements ByteSource {
  bytesRead = 0;
  reads = 0;
  constructor(private readonly inner: ByteSource) {}
  get size(): number {
    return this.inner.size;
  }
  async read(offset: number, length: number): Promise<Uint8Array> {
    this.reads++;
    this.bytesRead += length;
    return this.inner.read(offset, length);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The whole of a small regular file (class lists, sidecars, images, index files), refused above `maxBytes`
 * before anything is allocated; a file that grows while being read is still read only up to its size at open.
 * `what` names the kind of file in the message ('class list', 'image').
 */
export async function readFileCapped(path: string, maxBytes: number, what = 'file'): Promise<Uint8Array> {
  const src = await FileByteSource.open(path);
  try {
    if (src.size > maxBytes) throw new SoftMoeError('E_FORMAT', `${path}: ${what} of ${bytesText(src.size)} is larger than the ${bytesText(maxBytes)} this tool reads`);
    return await src.read(0, src.size);
  } finally {
    await src.close();
  }
}

/** The bytes [start, end) of a source as a stream of chunks of at most `chunk` bytes (for gunzip and inflate). */
export async function* sourceChunks(src: ByteSource, start = 0, end = src.size, chunk = 1 << 16): AsyncGenerator<Uint8Array> {
  for (let p = start; p < end; p += chunk) yield await src.read(p, Math.min(chunk, end - p));
}

/**
 * A file's stamp now: size, mtime and ctime (links followed), or `missing` when it does not exist. A run's identity
 * (analysis/runIdentity.ts) stamps every file the run reads; ctime changes on any rewrite, even one that keeps the mtime.
 */
export async function stampFile(path: string): Promise<{ path: string; size: number; mtimeMs: number; ctimeMs: number } | { path: string; missing: true }> {
  try {
    const s = await stat(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { path, missing: true };
    throw new SoftMoeError('E_NOT_FOUND', `${path}: cannot read (${code ?? String(err)})`, { cause: err });
  }
}
