/**
 * How numpy arrays become images and labels.
 *
 * Images, per example (the shape after N):
 *   [H, W]        → H×W×1
 *   [D]           → √D×√D×1 when D is a perfect square (784 → 28×28)
 *   [A, B, C]     → HWC when C ∈ {1, 3}; else CHW when A ∈ {1, 3}; when both are 1 or 3 HWC wins
 *                   (an image one or three pixels tall is not a real case)
 * Values (either byte order): uint8 is divided by 255; float16/32/64 are taken as already in 0–1 (as ToTensor gives); bool is 0/1.
 * Labels: [N] or [N, 1] integers (or whole-number floats); [N, K] with K > 1 is one-hot (argmax is taken).
 */
import { datasetError } from './datasetError';
import type { NpyHeader } from './npyHeader';
import { float16ToFloat32 } from '../io/dtype';

export interface ImageLayout {
  shape: [number, number, number];
  channelsFirst: boolean;
}

export function imageLayout(label: string, header: NpyHeader): ImageLayout {
  const s = header.shape.slice(1);
  if (header.kind !== 'u' && header.kind !== 'f' && header.kind !== 'b') {
    throw datasetError(`${label} has dtype ${header.descr}; images must be uint8 (0–255) or float (0–1)`);
  }
  if (header.kind === 'u' && header.itemSize !== 1) {
    throw datasetError(`${label} has dtype ${header.descr}; images must be uint8 (0–255) or float (0–1)`);
  }
  const is13 = (c: number): boolean => c === 1 || c === 3;
  if (s.length === 2) return { shape: [s[0], s[1], 1], channelsFirst: false };
  if (s.length === 1) {
    const side = Math.round(Math.sqrt(s[0]));
    if (side * side === s[0] && side > 0) return { shape: [side, side, 1], channelsFirst: false };
    throw datasetError(`${label} has shape (${header.shape.join(', ')}): ${s[0]} values per example is not a square image; reshape to (N, H, W, C)`);
  }
  if (s.length === 3) {
    if (is13(s[2])) return { shape: [s[0], s[1], s[2]], channelsFirst: false };
    if (is13(s[0])) return { shape: [s[1], s[2], s[0]], channelsFirst: true };
    throw datasetError(`${label} has shape (${header.shape.join(', ')}): no channel axis of size 1 or 3 at either end`);
  }
  throw datasetError(`${label} has shape (${header.shape.join(', ')}); expected (N, H, W), (N, H, W, C), (N, C, H, W) or (N, D)`);
}

/** Decode `n` stored values starting at `bytes` into numbers. */
export function readValues(bytes: Uint8Array, h: NpyHeader, out: Float32Array | Float64Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = out.length;
  const size = h.itemSize;
  const k = h.kind;
  const le = !h.bigEndian;
  for (let i = 0; i < n; i++) {
    const o = i * size;
    let v: number;
    if (k === 'f') v = size === 4 ? view.getFloat32(o, le) : size === 8 ? view.getFloat64(o, le) : float16ToFloat32(view.getUint16(o, le));
    else if (k === 'u') v = size === 1 ? bytes[o] : size === 2 ? view.getUint16(o, le) : size === 4 ? view.getUint32(o, le) : Number(view.getBigUint64(o, le));
    else if (k === 'i') v = size === 1 ? view.getInt8(o) : size === 2 ? view.getInt16(o, le) : size === 4 ? view.getInt32(o, le) : Number(view.getBigInt64(o, le));
    else v = bytes[o] ? 1 : 0;
    out[i] = v;
  }
}

/** Images [n, ...] as stored → [n, H, W, C] float 0–1. */
export function decodeImages(bytes: Uint8Array, h: NpyHeader, layout: ImageLayout, n: number): Float32Array {
  const [H, W, C] = layout.shape;
  const vals = new Float32Array(n * H * W * C);
  readValues(bytes, h, vals);
  if (h.kind === 'u') for (let i = 0; i < vals.length; i++) vals[i] /= 255;
  if (!layout.channelsFirst || C === 1) return vals;
  const out = new Float32Array(vals.length);
  const plane = H * W;
  for (let e = 0; e < n; e++) {
    const base = e * plane * C;
    for (let c = 0; c < C; c++) for (let p = 0; p < plane; p++) out[base + p * C + c] = vals[base + c * plane + p];
  }
  return out;
}

export function checkLabelShape(label: string, h: NpyHeader): number {
  const s = h.shape;
  if (s.length === 1) return 1;
  if (s.length === 2) return s[1];
  throw datasetError(`${label} has shape (${s.join(', ')}); labels must be (N,), (N, 1) or one-hot (N, K)`);
}

/** Labels [n] (or [n, 1], or one-hot [n, K]) → class ids. */
export function decodeLabels(label: string, bytes: Uint8Array, h: NpyHeader, n: number, width: number, firstIndex: number): Int32Array {
  const vals = new Float64Array(n * width);
  readValues(bytes, h, vals);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      const v = vals[i];
      if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
        throw datasetError(`${label}: label ${v} of example ${firstIndex + i} is not a class id (a whole number ≥ 0)`);
      }
      y[i] = v;
    } else {
      let best = 0;
      for (let j = 1; j < width; j++) if (vals[i * width + j] > vals[i * width + best]) best = j;
      y[i] = best;
    }
  }
  return y;
}
