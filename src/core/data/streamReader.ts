/**
 * Sequential reads over a stream of chunks (a gunzip stream, a zip entry): `readExact(n)` and `skip(n)`.
 *
 * It holds at most what the current `readExact` asks for plus one chunk of the underlying stream; skipped bytes are
 * dropped chunk by chunk, never gathered. `peakBuffered` records the most bytes it ever held (tests check it).
 */
import { datasetError } from './datasetError';

export class StreamReader {
  private readonly iter: AsyncIterator<Uint8Array>;
  private chunks: Uint8Array[] = [];
  private head = 0; // bytes already consumed from chunks[0]
  private buffered = 0;
  private ended = false;
  /** Bytes consumed so far (read or skipped). */
  position = 0;
  /** The most bytes this reader ever held at once. */
  peakBuffered = 0;

  constructor(source: AsyncIterable<Uint8Array>, private readonly label: string) {
    this.iter = source[Symbol.asyncIterator]();
  }

  /** Pull chunks until `n` bytes are buffered or the stream ends. */
  private async fill(n: number): Promise<void> {
    while (this.buffered < n && !this.ended) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.iter.next();
      } catch (err) {
        throw streamError(this.label, err);
      }
      if (r.done) {
        this.ended = true;
        break;
      }
      if (r.value.length === 0) continue;
      this.chunks.push(r.value);
      this.buffered += r.value.length;
      if (this.buffered > this.peakBuffered) this.peakBuffered = this.buffered;
    }
  }

  /** Read exactly `n` bytes; throws E_DATASET naming the file if the stream ends first. */
  async readExact(n: number): Promise<Uint8Array> {
    await this.fill(n);
    if (this.buffered < n) {
      throw datasetError(`${this.label} is truncated: it ended at byte ${this.position + this.buffered}, expected at least ${this.position + n}`);
    }
    const out = new Uint8Array(n);
    let done = 0;
    while (done < n) {
      const c = this.chunks[0];
      const take = Math.min(c.length - this.head, n - done);
      out.set(c.subarray(this.head, this.head + take), done);
      done += take;
      this.consume(take);
    }
    return out;
  }

  /** Drop `n` bytes without keeping them. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      await this.fill(1);
      if (this.buffered === 0) {
        throw datasetError(`${this.label} is truncated: it ended at byte ${this.position}, expected at least ${this.position + left}`);
      }
      const take = Math.min(this.chunks[0].length - this.head, left);
      this.consume(take);
      left -= take;
    }
  }

  /** True once every byte has been consumed and the stream has ended. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.buffered === 0;
  }

  private consume(take: number): void {
    this.head += take;
    this.buffered -= take;
    this.position += take;
    if (this.head === this.chunks[0].length) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  async close(): Promise<void> {
    this.chunks = [];
    this.buffered = 0;
    try {
      await this.iter.return?.();
    } catch {
      // closing a failed stream: its error was already reported
    }
  }
}

function streamError(label: string, err: unknown): Error {
  const e = err as { code?: string; message?: string };
  if (e && typeof e === 'object' && 'userMessage' in e) return err as Error;
  if (e?.code === 'Z_BUF_ERROR' || /unexpected end/i.test(e?.message ?? '')) {
    return datasetError(`${label} is truncated: the compressed data ends early`, err);
  }
  return datasetError(`${label} cannot be decompressed: ${e?.message ?? String(err)}`, err);
}
