/**
 * Random-access zip reading over a ByteSource, through yauzl (central directory parsing, name validation,
 * inflate with size checks). STORED entries are read by byte range; DEFLATED ones are inflated whole, under a cap.
 */
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { SoftMoeError } from '../errors';
import type { ByteSource } from './types';

/** Most entries we list; bigger archives are not checkpoints. */
const MAX_ENTRIES = 200_000;
/** Largest entry we inflate into memory. */
export const MAX_INFLATE_BYTES = 2 ** 31 - 1;
/** Compression ratio above which a large entry is treated as a zip bomb. */
const MAX_RATIO = 500;

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
    const raw = new Map<string, yauzl.Entry>();
    const entries = new Map<string, ZipEntryInfo>();
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (e: yauzl.Entry) => {
        if (raw.size >= MAX_ENTRIES) return reject(new SoftMoeError('E_CORRUPT', `${label}: zip has more than ${MAX_ENTRIES} entries`));
        if (!e.fileName.endsWith('/')) {
          raw.set(e.fileName, e);
          entries.set(e.fileName, { name: e.fileName, compressed: e.compressionMethod !== 0, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize });
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve());
      zip.on('error', (err: unknown) => reject(wrap(err, label, 'zip directory is corrupt')));
      zip.readEntry();
    });
    return new ZipArchive(zip, raw, entries, source, label);
  }

  private entry(name: string): yauzl.Entry {
    const e = this.raw.get(name);
    if (!e) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${name}' is missing`);
    if (e.isEncrypted()) throw new SoftMoeError('E_UNSUPPORTED', `${this.label}: zip entry '${name}' is encrypted`);
    if (e.compressionMethod !== 0 && e.compressionMethod !== 8) throw new SoftMoeError('E_UNSUPPORTED', `${this.label}: zip entry '${name}' uses compression method ${e.compressionMethod}`);
    return e;
  }

  /** Read `length` bytes at `start` inside an entry's uncompressed data (by range when STORED). */
  async readRange(name: string, start: number, length: number, maxInflate = MAX_INFLATE_BYTES): Promise<Uint8Array> {
    const e = this.entry(name);
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(length) || start < 0 || length < 0 || start + length > e.uncompressedSize) {
      throw new SoftMoeError('E_CORRUPT', `${this.label}: read of ${length} bytes at ${start} is outside zip entry '${name}' (${e.uncompressedSize} bytes)`);
    }
    if (e.compressionMethod === 0) {
      if (e.compressedSize !== e.uncompressedSize) throw new SoftMoeError('E_CORRUPT', `${this.label}: stored zip entry '${name}' has inconsistent sizes`);
      let dataStart = this.starts.get(name);
      if (dataStart === undefined) {
        try {
          dataStart = (await this.zip.readLocalFileHeaderPromise(e, { minimal: true })).fileDataStart;
        } catch (err) {
          throw wrap(err, this.label, `zip entry '${name}' has a corrupt local header`);
        }
        this.starts.set(name, dataStart);
      }
      if (dataStart + e.uncompressedSize > this.source.size) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${name}' runs past the end of the file`);
      return this.source.read(dataStart + start, length);
    }
    const all = await this.readAll(name, maxInflate);
    return all.subarray(start, start + length);
  }

  /** The whole uncompressed entry (inflated under `maxBytes` and a ratio check). */
  async readAll(name: string, maxBytes = MAX_INFLATE_BYTES): Promise<Uint8Array> {
    const e = this.entry(name);
    if (e.uncompressedSize > maxBytes) throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${name}' is ${e.uncompressedSize} bytes, above the ${maxBytes}-byte limit`);
    if (e.compressionMethod === 0) return this.readRange(name, 0, e.uncompressedSize);
    if (e.uncompressedSize > 1 << 24 && e.uncompressedSize > MAX_RATIO * Math.max(1, e.compressedSize)) {
      throw new SoftMoeError('E_CORRUPT', `${this.label}: zip entry '${name}' claims a ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1 compression ratio (zip bomb?)`);
    }
    if (this.lastInflated?.name === name) return this.lastInflated.bytes;
    try {
      const stream = await this.zip.openReadStreamPromise(e);
      const out = new Uint8Array(e.uncompressedSize);
      let n = 0;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        if (n + chunk.byteLength > out.byteLength) throw new Error('entry inflates past its declared size');
        out.set(chunk, n);
        n += chunk.byteLength;
      }
      if (n !== out.byteLength) throw new Error('entry inflates short of its declared size');
      this.lastInflated = { name, bytes: out };
      return out;
    } catch (err) {
      throw wrap(err, this.label, `zip entry '${name}' cannot be inflated`);
    }
  }

  close(): void {
    this.lastInflated = undefined;
    this.zip.close();
  }
}

function wrap(err: unknown, label: string, what: string): SoftMoeError {
  if (err instanceof SoftMoeError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new SoftMoeError('E_CORRUPT', `${label}: ${what} (${detail})`, { cause: err });
}
