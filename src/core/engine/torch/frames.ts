/**
 * The frame format of torchProtocol.ts: u32 header bytes | u32 buffer count | u64 buffer bytes × count | JSON header |
 * buffers, little-endian. Encoding never copies the buffers; decoding is incremental over a byte stream and refuses
 * frames over the limits before allocating for them.
 */
import { SoftMoeError } from '../../errors';
import { MAX_FRAME_BUFFERS, MAX_HEADER_BYTES } from '../../protocol/torchProtocol';

export interface Frame {
  header: unknown;
  buffers: Uint8Array[];
}

/** Largest frame body (header + buffers) accepted from the runner. */
export const MAX_FRAME_BYTES = 2 ** 31;

/** The chunks to write for one frame (the buffers themselves, not copies). */
export function encodeFrame(header: object, buffers: readonly ArrayBufferView[] = []): Uint8Array[] {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > MAX_HEADER_BYTES) throw new SoftMoeError('E_INTERNAL', `Internal error: a ${json.length}-byte protocol header is over the limit.`);
  if (buffers.length > MAX_FRAME_BUFFERS) throw new SoftMoeError('E_INTERNAL', `Internal error: ${buffers.length} buffers in one frame is over the limit.`);
  const head = Buffer.alloc(8 + 8 * buffers.length);
  head.writeUInt32LE(json.length, 0);
  head.writeUInt32LE(buffers.length, 4);
  buffers.forEach((b, i) => head.writeBigUInt64LE(BigInt(b.byteLength), 8 + 8 * i));
  return [head, json, ...buffers.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength))];
}

/** Incremental decoder: push bytes as they arrive, get the frames they complete. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private available = 0;
  private head: { headerBytes: number; count: number } | null = null;
  private lengths: number[] | null = null;

  push(chunk: Buffer): Frame[] {
    this.chunks.push(chunk);
    this.available += chunk.length;
    const out: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (!frame) return out;
      out.push(frame);
    }
  }

  private next(): Frame | null {
    if (!this.head) {
      if (this.available < 8) return null;
      const b = this.take(8);
      const headerBytes = b.readUInt32LE(0);
      const count = b.readUInt32LE(4);
      if (headerBytes > MAX_HEADER_BYTES || count > MAX_FRAME_BUFFERS) {
        throw new SoftMoeError('E_ENGINE', `The PyTorch runner sent a frame of ${headerBytes} header bytes and ${count} buffers, over the protocol's limits.`);
      }
      this.head = { headerBytes, count };
    }
    if (!this.lengths) {
      if (this.available < 8 * this.head.count) return null;
      const b = this.take(8 * this.head.count);
      const lengths: number[] = [];
      let total = this.head.headerBytes;
      for (let i = 0; i < this.head.count; i++) {
        const n = b.readBigUInt64LE(8 * i);
        total += Number(n);
        if (n > BigInt(MAX_FRAME_BYTES) || total > MAX_FRAME_BYTES) {
          throw new SoftMoeError('E_ENGINE', `The PyTorch runner sent a frame of more than ${MAX_FRAME_BYTES} bytes.`);
        }
        lengths.push(Number(n));
      }
      this.lengths = lengths;
    }
    const body = this.head.headerBytes + this.lengths.reduce((a, b) => a + b, 0);
    if (this.available < body) return null;
    const all = this.take(body);
    let header: unknown;
    try {
      header = JSON.parse(all.subarray(0, this.head.headerBytes).toString('utf8'));
    } catch (err) {
      throw new SoftMoeError('E_ENGINE', 'The PyTorch runner sent a frame whose header is not JSON.', { cause: err });
    }
    const buffers: Uint8Array[] = [];
    let at = this.head.headerBytes;
    for (const n of this.lengths) {
      buffers.push(all.subarray(at, at + n));
      at += n;
    }
    this.head = null;
    this.lengths = null;
    return { header, buffers };
  }

  /** Remove and return the first n buffered bytes (n ≤ available). */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0] as Buffer;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0] as Buffer;
        const k = Math.min(c.length, n - at);
        c.copy(out, at, 0, k);
        at += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.available -= n;
    return out;
  }
}

/** A buffer as Float32Array (copied when its offset is not 4-aligned), checking it holds `count` values. */
export function float32Of(b: Uint8Array, count: number, what: string): Float32Array {
  checkBytes(b, count * 4, what);
  const aligned = b.byteOffset % 4 === 0 ? b : new Uint8Array(b);
  return new Float32Array(aligned.buffer, aligned.byteOffset, count);
}

export function int32Of(b: Uint8Array, count: number, what: string): Int32Array {
  checkBytes(b, count * 4, what);
  const aligned = b.byteOffset % 4 === 0 ? b : new Uint8Array(b);
  return new Int32Array(aligned.buffer, aligned.byteOffset, count);
}

function checkBytes(b: Uint8Array | undefined, bytes: number, what: string): asserts b is Uint8Array {
  if (!b || b.byteLength !== bytes) {
    throw new SoftMoeError('E_ENGINE', `The PyTorch runner sent ${b ? b.byteLength : 'no'} bytes for ${what}, expected ${bytes}.`);
  }
}
