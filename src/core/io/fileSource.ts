/**
 * Byte sources: random access to a file (through one `fs/promises` FileHandle) or to bytes in memory.
 * Every reader in src/core/io reads through a `ByteSource`, so nothing ever loads a whole file by accident
 * and a benchmark can count exactly which bytes were read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { SoftMoeError } from '../errors';
import type { ByteSource } from './types';

/** Check that [offset, offset+length) lies inside a source of `size` bytes; throw E_CORRUPT naming `label`. */
export function checkRange(label: string, size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
    throw new SoftMoeError('E_CORRUPT', `${label}: read of ${length} bytes at offset ${offset} is outside the file (${size} bytes); the file is truncated or corrupt`);
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

  /** Open `path` read-only. Missing or unreadable → E_NOT_FOUND; a directory → E_FORMAT. */
  static async open(path: string): Promise<FileByteSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot open (${code ?? String(err)})`;
      throw new SoftMoeError('E_NOT_FOUND', `${path}: ${why}`, { cause: err });
    }
    const st = await handle.stat();
    if (!st.isFile()) {
      await handle.close();
      throw new SoftMoeError('E_FORMAT', `${path}: is not a regular file`);
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
