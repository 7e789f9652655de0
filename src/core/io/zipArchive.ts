/**
 * Random-access zip reading over a ByteSource, through yauzl (central directory parsing, name validation,
 * inflate with size checks), for checkpoints (torch zips, .npz) and datasets (.npz) alike. STORED entries are read
 * by byte range; DEFLATED ones are inflated as a stream only as far as a read needs (a 12-byte .npy header never
 * inflates a 2 GB member), and whole only under a cap. Every size the directory claims is checked against the file
 * before anything is allocated, and every failure of yauzl or zlib becomes one E_CORRUPT line naming the file.
 */
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { SoftMoeError } from '../errors';
import { bytesText, clip } from '../quote';
import { sourceChunks } from './fileSource';
import type { ByteSource } from './types';

/** Most entries we list; bigger archives are not checkpoints or datasets. */
export const MAX_ENTRIES = 200_000;
/** Largest entry we inflate into memory. */
export const MAX_INFLATE_BYTES = 2 ** 31 - 1;
/** Compression ratio above which a large entry is treated as a zip bomb. */
const MAX_RATIO = 500;
/** Deflate cannot expand data by more than about 1032:1; a directory that claims more is lying. */
const DEFLATE_MAX_RATIO = 1032;
/** Smallest central directory record (46 bytes + the name). */
const CENTRAL_RECORD_BYTES = 46;

class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: ByteSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    const source = this.source;
    return Readable.from((async function* () {
      for (let p = start; p < end; p += 1 << 20) yield Buffer.from(await source.read(p, Math.min(1 << 20, end - p)));
    })(), { objectMode: false });
  }
  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.source.read(position, length).then((b) => {
      buffer.set(b, offset);
      callback(null);
    }, callback);
  }
}

export interface ZipEntryInfo {
  name: string;
  compressed: boolean;
  compressedSize: number;
  uncompressedSize: number;
}

export class ZipArchive {
  private readonly starts = new Map<string, number>();
  /** The last inflated entry (a compressed npz member is read twice: header, then data). */
  private lastInflated: { name: string; bytes: Uint8Array } | undefined;
  private constructor(
    private readonly zip: yauzl.ZipFile,
    private readonly raw: Map<string, yauzl.Entry>,
    readonly entries: Map<string, ZipEntryInfo>,
    private readonly source: ByteSource,
    readonly label: string,
  ) {}

  /** List the central directory. A broken or truncated zip → E_CORRUPT. */
  static async open(source: ByteSource, label: string): Promise<ZipArchive> {
    let zip: yauzl.ZipFile;
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(source), source.size, { lazyEntries: true, autoClose: false, strictFileNames: true });
    } catch (err) {
      throw wrap(err, label, 'is not a readable zip (truncated or corrupt)');
    }
    if (zip.entryCount > MAX_ENTRIES) {
      zip.close();
      throw new SoftMoeError('E_CORRUPT', `${label}: zip directory lists ${zip.entryCount.toLocaleString('en-US')} entries, more than the ${MAX_ENTRIES.toLocaleString('en-US')} a checkpoint or dataset may have`);
    }
    if (zip.entryCount * CENTRAL_RECORD_BYTES > source.size) {
      zip.close();
      throw new SoftMoeError('E_CORRUPT', `${label}: zip directory claims ${zip.entryCount.toLocaleString('en-US')} entries, more than a file of ${bytesText(source.size)} can hold`);
    }
    const raw = new Map<string, yauzl.Entry>();
    const entries = new Map<string, ZipEntryInfo>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        if (raw.size >= MAX_ENTRIES) return reject(new SoftMoeError('E_CORRUPT', `${label}: zip has more than ${MAX_ENTRIES} entries`));
        const problem = entryProblem(e, source.size);
        if (problem) return reject(new SoftMoeError('E_CORRUPT', `${label}: zip entry '${clip(e.fileName)}' ${problem}`));
        if (!e.fileName.endsWith('/')) {
          if (raw.has(e.fileName)) return reject(new SoftMoeError('E_CORRUPT', `${label}: zip holds two entries named '${clip(e.fileName)}'`));
          raw.set(e.fileName, e);
          entries.set(e.fileName, { name: e.fileName, compressed: e.compressionMethod !== 0, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize });
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (err: unknown) => reject(wrap(err, label, 'zip directory is corrupt')));
      zip.readEntry();
    }).catch((err: unknown) => {
      zip.close();
      throw err;
    });
    return new ZipArchive(zip, raw, entries, source, label);
  }

  private entry(name: string): yauzl.Entry {
    const e = this.raw.get(name);
    if (!e) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' is missing`);
    if (e.isEncrypted()) throw new SoftMoeError('E_UNSUPPORTED', `${this.label}: zip entry '${clip(name)}' is encrypted`);
    if (e.compressionMethod !== 0 && e.compressionMethod !== 8) throw new SoftMoeError('E_UNSUPPORTED', `${this.label}: zip entry '${clip(name)}' uses compression method ${e.compressionMethod} (stored and deflated entries are read)`);
    return e;
  }

  /** Where a STORED entry's bytes start in the file (from its local header, read once). */
  private async dataStart(name: string, e: yauzl.Entry): Promise<number> {
    let dataStart = this.starts.get(name);
    if (dataStart === undefined) {
      try {
        dataStart = (await this.zip.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart;
      } catch (err) {
        throw wrap(err, this.label, `zip entry '${clip(name)}' has a corrupt local header`);
      }
      this.starts.set(name, dataStart);
    }
    if (dataStart + e.compressedSize > this.source.size) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' runs past the end of the file`);
    return dataStart;
  }

  /**
   * The entry's uncompressed bytes from `offset` on, as a stream: a STORED entry from that offset, a DEFLATED one
   * inflated from its start (`at` says where the stream begins, so a reader skips to its offset). Errors are
   * E_CORRUPT naming the file.
   */
  async openStream(name: string, offset = 0): Promise<{ stream: AsyncIterable<Uint8Array>; at: number }> {
    const e = this.entry(name);
    if (e.compressionMethod === 0) {
      const start = await this.dataStart(name, e);
      const from = Math.min(Math.max(0, offset), e.compressedSize);
      return { stream: sourceChunks(this.source, start + from, start + e.compressedSize), at: from };
    }
    return { stream: this.inflated(name, e), at: 0 };
  }

  /** Inflate a DEFLATED entry chunk by chunk; the stream is destroyed when the consumer stops early. */
  private async *inflated(name: string, e: yauzl.Entry): AsyncGenerator<Uint8Array> {
    let stream: Readable;
    try {
      stream = await this.zip.openReadStreamPromise(e);
    } catch (err) {
      throw wrap(err, this.label, `zip entry '${clip(name)}' cannot be read`);
    }
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } catch (err) {
      throw wrap(err, this.label, `zip entry '${clip(name)}' cannot be inflated`);
    } finally {
      stream.destroy();
    }
  }

  /** Bytes [start, start + length) of a DEFLATED entry, inflating no further than `start + length`. */
  private async inflateRange(name: string, e: yauzl.Entry, start: number, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    let pos = 0; // uncompressed bytes seen so far
    let filled = 0;
    for await (const chunk of this.inflated(name, e)) {
      const lo = Math.max(start - pos, 0);
      const hi = Math.min(start + length - pos, chunk.byteLength);
      if (hi > lo) {
        out.set(chunk.subarray(lo, hi), filled);
        filled += hi - lo;
      }
      pos += chunk.byteLength;
      if (filled === length) return out;
    }
    throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' inflates to ${bytesText(pos)}, short of the ${bytesText(start + length)} needed`);
  }

  /** Read `length` bytes at `start` inside an entry's uncompressed data (by range when STORED). */
  async readRange(name: string, start: number, length: number, maxInflate = MAX_INFLATE_BYTES): Promise<Uint8Array> {
    const e = this.entry(name);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > e.uncompressedSize) {
      throw new SoftMoeError('E_CORRUPT', `${this.label}: read of ${bytesText(length)} at ${start} is outside zip entry '${clip(name)}' (${bytesText(e.uncompressedSize)})`);
    }
    if (e.compressionMethod === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw new SoftMoeError('E_CORRUPT', `${this.label}: stored zip entry '${clip(name)}' has inconsistent sizes`);
      const dataStart = await this.dataStart(name, e);
      return this.source.read(dataStart + start, length);
    }
    if (this.lastInflated?.name === name) return this.lastInflated.bytes.subarray(start, start + length);
    // A read of the whole entry (tensor data) inflates it once and keeps it for the next read; a read of a part
    // (an .npy header) inflates only up to its end.
    if (start + length < e.uncompressedSize) return this.inflateRange(name, e, start, length);
    const all = await this.readAll(name, maxInflate);
    return all.subarray(start, start + length);
  }

  /** The whole uncompressed entry (inflated under `maxBytes` and a ratio check). */
  async readAll(name: string, maxBytes = MAX_INFLATE_BYTES): Promise<Uint8Array> {
    const e = this.entry(name);
    if (e.uncompressedSize > maxBytes) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' is ${bytesText(e.uncompressedSize)}, above the ${bytesText(maxBytes)} limit`);
    if (e.compressionMethod === 0) return this.readRange(name, 0, e.uncompressedSize);
    if (e.uncompressedSize > 1 << 24 && e.uncompressedSize > MAX_RATIO * Math.max(1, e.compressedSize)) {
      throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' claims a ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1 compression ratio (zip bomb?)`);
    }
    if (this.lastInflated?.name === name) return this.lastInflated.bytes;
    const out = new Uint8Array(e.uncompressedSize);
    let n = 0;
    for await (const chunk of this.inflated(name, e)) {
      if (n + chunk.byteLength > out.byteLength) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' inflates past its declared ${bytesText(out.byteLength)}`);
      out.set(chunk, n);
      n += chunk.byteLength;
    }
    if (n !== out.byteLength) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${clip(name)}' inflates to ${bytesText(n)}, short of its declared ${bytesText(out.byteLength)}`);
    this.lastInflated = { name, bytes: out };
    return out;
  }

  close(): void {
    this.lastInflated = undefined;
    this.zip.close();
  }
}

/** Why the directory's record of an entry cannot be true of this file, or undefined. */
function entryProblem(e: yauzl.Entry, fileSize: number): string | undefined {
  const sizes = [e.compressedSize, e.uncompressedSize, e.relativeOffsetOfLocalHeader];
  if (!sizes.every((v) => Number.isSafeInteger(v) && v >= 0)) return 'has an impossible size or offset in the zip directory';
  if (e.relativeOffsetOfLocalHeader + 30 > fileSize) return `starts at byte ${e.relativeOffsetOfLocalHeader}, past the end of the file (${bytesText(fileSize)})`;
  if (e.compressedSize > fileSize) return `claims ${bytesText(e.compressedSize)} of data in a file of ${bytesText(fileSize)}`;
  if (e.compressionMethod === 0 && e.compressedSize !== e.uncompressedSize) return 'is stored (not compressed) but its two sizes differ';
  if (e.compressionMethod === 8 && e.uncompressedSize > DEFLATE_MAX_RATIO * e.compressedSize + 1024) {
    return `claims ${bytesText(e.uncompressedSize)} inflated from ${bytesText(e.compressedSize)}, more than deflate can expand`;
  }
  return undefined;
}

function wrap(err: unknown, label: string, what: string): SoftMoeError {
  if (err instanceof SoftMoeError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new SoftMoeError('E_CORRUPT', `${label}: ${what} (${clip(detail, 100)})`, { cause: err });
}
