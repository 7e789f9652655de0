/**
 * The header of a numpy `.npy` array, as datasets need it: parsed by the io layer's `readNpyHeader` (one parser
 * for checkpoints and datasets: never evaluated, object/structured dtypes refused, data length checked exactly),
 * then described by element kind and size so records can be streamed and decoded one batch at a time.
 */
import { SoftMoeError } from '../errors';
import { readNpyHeader } from '../io/npy';
import { DTYPE_SIZE, type ByteSource, type DType } from '../io/types';
import { datasetError } from './datasetError';

export interface NpyHeader {
  /** Bytes before the data. */
  dataOffset: number;
  kind: 'f' | 'i' | 'u' | 'b';
  itemSize: number;
  bigEndian: boolean;
  shape: number[];
  fortranOrder: boolean;
  /** numpy's name for the dtype, for messages. */
  descr: string;
}

const NAMES: Record<DType, string> = {
  F64: 'float64', F32: 'float32', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

/** Read and check the header of the array held by `source` (a file, or the first bytes of a zip member). */
export async function readDatasetNpyHeader(source: ByteSource, label: string): Promise<NpyHeader> {
  let h;
  try {
    h = await readNpyHeader(source, label);
  } catch (err) {
    throw err instanceof SoftMoeError ? datasetError(err.userMessage, err) : err;
  }
  const kind = h.dtype === 'BOOL' ? 'b' : h.dtype === 'U8' ? 'u' : h.dtype.startsWith('I') ? 'i' : 'f';
  if (h.dtype === 'BF16') throw datasetError(`${label} has dtype bfloat16, which datasets do not read`);
  return { dataOffset: h.dataOffset, kind, itemSize: DTYPE_SIZE[h.dtype], bigEndian: h.bigEndian, shape: h.shape, fortranOrder: h.fortranOrder, descr: NAMES[h.dtype] };
}

/** Bytes up to the end of the header, from the first 12 bytes (throws if they are not an .npy start). */
export function npyHeaderLength(label: string, first: Uint8Array): number {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (first.length < 10 || magic.some((b, i) => first[i] !== b)) throw datasetError(`${label} is not a .npy array: wrong magic`);
  const view = new DataView(first.buffer, first.byteOffset, first.byteLength);
  if (first[6] === 1) return 10 + view.getUint16(8, true);
  if (first.length >= 12) return 12 + view.getUint32(8, true);
  throw datasetError(`${label} is truncated: its .npy header is incomplete`);
}

/** A ByteSource of `size` bytes of which only the first `prefix.length` can be read (enough for the header). */
export function prefixSource(prefix: Uint8Array, size: number, label: string): ByteSource {
  return {
    size,
    async read(offset, length) {
      if (offset + length > prefix.length) throw datasetError(`${label}: its .npy header is inconsistent (it needs ${offset + length} bytes, its length field says ${prefix.length})`);
      return prefix.slice(offset, offset + length);
    },
    async close() {},
  };
}
