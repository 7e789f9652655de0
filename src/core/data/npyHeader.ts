/**
 * The header of a numpy `.npy` array: "\x93NUMPY", version, header length, then a Python dict literal
 * {'descr': '<f4', 'fortran_order': False, 'shape': (N, 28, 28), }. Parsed with patterns, never evaluated.
 * (src/core/io reads whole checkpoint arrays; datasets need the header alone, to stream the data by records.)
 */
import { datasetError } from './datasetError';

export interface NpyHeader {
  /** Bytes before the data. */
  dataOffset: number;
  kind: 'f' | 'i' | 'u' | 'b';
  itemSize: number;
  shape: number[];
  fortranOrder: boolean;
  descr: string;
}

/** Bytes needed before `parseNpyHeader` can run, from the first 12 bytes (or fewer if the file is that short). */
export function npyHeaderLength(label: string, first: Uint8Array): number {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (first.length < 10 || magic.some((b, i) => first[i] !== b)) throw datasetError(`${label} is not a .npy array: wrong magic`);
  const major = first[6];
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  if (major === 1) return 10 + view.getUint16(8, true);
  if ((major === 2 || major === 3) && first.length >= 12) return 12 + view.getUint32(8, true);
  throw datasetError(`${label}: unsupported .npy version ${major}`);
}

export function parseNpyHeader(label: string, bytes: Uint8Array): NpyHeader {
  const dataOffset = npyHeaderLength(label, bytes);
  if (dataOffset > 1 << 20) throw datasetError(`${label}: .npy header is implausibly long (${dataOffset} bytes)`);
  const text = new TextDecoder('latin1').decode(bytes.subarray(bytes[6] === 1 ? 10 : 12, dataOffset));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    if (/'descr'\s*:\s*\[/.test(text)) throw datasetError(`${label} holds a structured array; expected a plain numeric array`);
    throw datasetError(`${label}: malformed .npy header`);
  }
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => Number(s.replace(/L$/, '')));
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw datasetError(`${label}: bad shape (${shapeText}) in .npy header`);
  const m = /^([<>|=])([fiub])(\d+)$/.exec(descr);
  if (!m) throw datasetError(`${label} has dtype '${descr}'; expected a numeric dtype (uint8, int, float)`);
  const [, order, kind, size] = m;
  const itemSize = Number(size);
  if (order === '>' && itemSize > 1) throw datasetError(`${label} is big-endian ('${descr}'); save it little-endian (arr.astype('<${kind}${size}'))`);
  if (!validSize(kind, itemSize)) throw datasetError(`${label} has unsupported dtype '${descr}'`);
  return { dataOffset, kind: kind as NpyHeader['kind'], itemSize, shape, fortranOrder: fortran === 'True', descr };
}

function validSize(kind: string, size: number): boolean {
  if (kind === 'f') return size === 2 || size === 4 || size === 8;
  if (kind === 'b') return size === 1;
  return size === 1 || size === 2 || size === 4 || size === 8;
}
