/**
 * Element-type conversion: stored little-endian bytes → Float32 (for compute) or the dtype's natural typed array,
 * and Float32/number values → stored bytes (for the safetensors writer).
 */
import { SoftMoeError } from '../errors';
import { quoteValue, shapeText } from '../quote';
import { DTYPE_SIZE, type DType } from './types';

export const DTYPES: readonly DType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];

export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && (DTYPES as readonly string[]).includes(x);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE half → float32 value. */
export function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 value → IEEE half bits, round to nearest even. */
export function float32ToFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = mant >> shift;
    const rem = mant & ((1 << shift) - 1);
    if (rem > half || (rem === half && r & 1)) r++;
    return sign | r;
  }
  let r = mant >> 13;
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && r & 1)) {
    r++;
    if (r === 0x400) {
      r = 0;
      e++;
      if (e >= 31) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | r;
}

/** float32 value → bfloat16 bits, round to nearest even (NaN stays NaN). */
export function float32ToBFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A copy of `bytes` in a fresh, aligned ArrayBuffer when it is not aligned to `align`. */
function aligned(bytes: Uint8Array, align: number): Uint8Array {
  return bytes.byteOffset % align === 0 ? bytes : bytes.slice();
}

function checkLength(bytes: Uint8Array, dtype: DType): number {
  const size = DTYPE_SIZE[dtype];
  if (bytes.byteLength % size !== 0) {
    throw new SoftMoeError('E_CORRUPT', `${bytes.byteLength} bytes is not a whole number of ${dtype} elements`);
  }
  return bytes.byteLength / size;
}

/** Decode little-endian `bytes` of `dtype` into Float32 (row order preserved). */
export function toFloat32(bytes: Uint8Array, dtype: DType): Float32Array {
  const n = checkLength(bytes, dtype);
  const b = aligned(bytes, DTYPE_SIZE[dtype]);
  const out = new Float32Array(n);
  switch (dtype) {
    case 'F32':
      out.set(new Float32Array(b.buffer, b.byteOffset, n));
      break;
    case 'F64':
      out.set(new Float64Array(b.buffer, b.byteOffset, n));
      break;
    case 'F16': {
      const h = new Uint16Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < n; i++) out[i] = float16ToFloat32(h[i]!);
      break;
    }
    case 'BF16': {
      const h = new Uint16Array(b.buffer, b.byteOffset, n);
      const o = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) o[i] = h[i]! << 16;
      break;
    }
    case 'I64': {
      const w = new Int32Array(b.buffer, b.byteOffset, 2 * n);
      for (let i = 0; i < n; i++) out[i] = w[2 * i + 1]! * 4294967296 + (w[2 * i]! >>> 0);
      break;
    }
    case 'I32':
      out.set(new Int32Array(b.buffer, b.byteOffset, n));
      break;
    case 'I16':
      out.set(new Int16Array(b.buffer, b.byteOffset, n));
      break;
    case 'I8':
      out.set(new Int8Array(b.buffer, b.byteOffset, n));
      break;
    case 'U8':
      out.set(b);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = b[i] ? 1 : 0;
      break;
  }
  return out;
}

/** Values accepted by `encode`. */
export type EncodableArray = ArrayLike<number> | BigInt64Array;

/** Encode values as little-endian bytes of `dtype`. Integer dtypes require integral values in range (E_USAGE). */
export function encode(values: EncodableArray, dtype: DType, label: string): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * DTYPE_SIZE[dtype]);
  const dv = new DataView(out.buffer);
  const intRange: Partial<Record<DType, [number, number]>> = {
    I32: [-(2 ** 31), 2 ** 31 - 1], I16: [-32768, 32767], I8: [-128, 127], U8: [0, 255],
    I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  };
  const range = intRange[dtype];
  for (let i = 0; i < n; i++) {
    const raw = values[i]!;
    if (typeof raw === 'bigint') {
      if (dtype !== 'I64') throw new SoftMoeError('E_USAGE', `${label}: bigint values can only be written as I64`);
      dv.setBigInt64(8 * i, raw, true);
      continue;
    }
    const v = raw;
    if (range && (!Number.isInteger(v) || v < range[0] || v > range[1])) {
      throw new SoftMoeError('E_USAGE', `${label}: value ${v} at index ${i} is not a valid ${dtype}`);
    }
    switch (dtype) {
      case 'F64': dv.setFloat64(8 * i, v, true); break;
      case 'F32': dv.setFloat32(4 * i, v, true); break;
      case 'F16': dv.setUint16(2 * i, float32ToFloat16(v), true); break;
      case 'BF16': dv.setUint16(2 * i, float32ToBFloat16(v), true); break;
      case 'I64': dv.setBigInt64(8 * i, BigInt(v), true); break;
      case 'I32': dv.setInt32(4 * i, v, true); break;
      case 'I16': dv.setInt16(2 * i, v, true); break;
      case 'I8': dv.setInt8(i, v); break;
      case 'U8': dv.setUint8(i, v); break;
      case 'BOOL': dv.setUint8(i, v ? 1 : 0); break;
    }
  }
  return out;
}

/** Most dimensions a tensor may have (PyTorch's own limit is 64). */
export const MAX_DIMS = 64;

/**
 * Largest product of the non-zero dimensions of an EMPTY tensor (one with a 0 dimension). An empty tensor holds no
 * bytes, so its file cannot justify what its other dimensions would make a reader allocate ([0, 10¹²] is refused).
 */
export const MAX_EMPTY_EXTENT = 1 << 24;

/** Product of a shape, or throws E_CORRUPT (via `label`) when it is not a safe integer. */
export function shapeNumel(shape: readonly number[], label: string): number {
  let n = 1;
  let extent = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new SoftMoeError('E_CORRUPT', `${label}: shape ${shapeText(shape)} has an invalid dimension ${quoteValue(d, 24)}`);
    n *= d;
    if (d > 0) extent *= d;
    if (!Number.isSafeInteger(n) || !Number.isSafeInteger(extent)) throw new SoftMoeError('E_CORRUPT', `${label}: shape ${shapeText(shape)} has too many elements`);
  }
  if (n === 0 && extent > MAX_EMPTY_EXTENT) {
    throw new SoftMoeError('E_CORRUPT', `${label}: shape ${shapeText(shape)} is empty but its other dimensions ask for ${extent.toLocaleString('en-US')} elements`);
  }
  return n;
}
