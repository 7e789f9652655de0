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
