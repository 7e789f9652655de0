/**
 * numpy `.npy` arrays: the header (a Python dict literal) is parsed by a small tokenizer, never evaluated; object
 * and structured dtypes are refused; shape × itemsize must equal the data length exactly.
 */
import { SoftMoeError } from '../errors';
import { MAX_DIMS, shapeNumel, toFloat32 } from './dtype';
import { bytesText, clip, shapeText } from '../quote';
import { DTYPE_SIZE, type ByteSource, type DType, type TensorEntry } from './types';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
const MAX_HEADER = 1 << 20;

const DESCR: Record<string, DType> = {
  f8: 'F64', f4: 'F32', f2: 'F16', i8: 'I64', i4: 'I32', i2: 'I16', i1: 'I8', u1: 'U8', b1: 'BOOL',
};

export interface NpyHeader {
  dtype: DType;
  shape: number[];
  numel: number;
  fortranOrder: boolean;
  bigEndian: boolean;
  /** Byte offset of the data inside the source. */
  dataOffset: number;
}

/** Read and check an npy header (`label` names the file or npz member in messages). */
export async function readNpyHeader(source: ByteSource, label: string): Promise<NpyHeader> {
  const bad = (what: string, code: 'E_CORRUPT' | 'E_UNSAFE' | 'E_UNSUPPORTED' = 'E_CORRUPT') => new SoftMoeError(code, `${label}: ${what}`);
  if (source.size < 10) throw bad('is too short for a .npy file');
  const pre = await source.read(0, 12 <= source.size ? 12 : 10);
  if (!MAGIC.every((b, i) => pre[i] === b)) throw bad('does not start with the .npy magic \\x93NUMPY');
  const major = pre[6]!;
  if (major < 1 || major > 3) throw bad(`uses .npy format version ${major}`, 'E_UNSUPPORTED');
  const dv = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  const headerStart = major === 1 ? 10 : 12;
  if (pre.byteLength < headerStart) throw bad('is too short for a .npy file');
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (headerLen > MAX_HEADER || headerStart + headerLen > source.size) throw bad(`npy header length ${headerLen} runs past the end of the file (${bytesText(source.size)})`);
  const raw = await source.read(headerStart, headerLen);
  let text: string;
  try {
    text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: true }).decode(raw);
  } catch {
    throw bad('npy header is not valid text');
  }
  const dict = parsePyDict(text, label);
  const descr = dict.get('descr');
  const fortran = dict.get('fortran_order');
  const shape = dict.get('shape');
  if (typeof descr !== 'string') {
    throw bad('has a structured dtype, which is not supported (plain numeric arrays are)', 'E_UNSUPPORTED');
  }
  if (descr.replace(/^[<>|=]/, '').startsWith('O')) throw bad('has object dtype (it would need pickle), which is never read', 'E_UNSAFE');
  const order = descr[0];
  const code = descr.replace(/^[<>|=]/, '');
  const dtype = DESCR[code];
  if (!dtype) throw bad(`has dtype '${clip(descr, 24)}', which is not supported (f8, f4, f2, i8, i4, i2, i1, u1, b1 are)`, 'E_UNSUPPORTED');
  if (typeof fortran !== 'boolean') throw bad("npy header has no boolean 'fortran_order'");
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) throw bad("npy header has no 'shape' tuple");
  if (shape.length > MAX_DIMS) throw bad(`npy header shape has ${shape.length} dimensions (at most ${MAX_DIMS} are read)`);
  const numel = shapeNumel(shape as number[], label);
  const dataOffset = headerStart + headerLen;
  const expected = BigInt(numel) * BigInt(DTYPE_SIZE[dtype]);
  if (BigInt(source.size - dataOffset) !== expected) {
    throw bad(`header says shape ${shapeText(shape, 6, true)} of ${descr} = ${bytesText(expected)}, but the file holds ${bytesText(source.size - dataOffset)} of data`);
  }
  return { dtype, shape: shape as number[], numel, fortranOrder: fortran, bigEndian: order === '>' && DTYPE_SIZE[dtype] > 1, dataOffset };
}

/** Read the raw, little-endian, C-order bytes of an npy array. */
async function readCOrderBytes(source: ByteSource, h: NpyHeader): Promise<Uint8Array> {
  const size = DTYPE_SIZE[h.dtype];
  const bytes = await source.read(h.dataOffset, h.numel * size);
  if (h.bigEndian) for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
  if (!h.fortranOrder || h.shape.length < 2) return bytes;
  // Fortran order: element (i0, …, ik) sits at Σ i_d · Π_{e<d} shape_e. Gather into C order.
  const out = new Uint8Array(bytes.length);
  const idx = new Array<number>(h.shape.length).fill(0);
  const fstride = h.shape.map((_, d) => h.shape.slice(0, d).reduce((a, b) => a * b, 1));
  for (let o = 0; o < h.numel; o++) {
    let src = 0;
    for (let d = 0; d < idx.length; d++) src += idx[d]! * fstride[d]!;
    out.set(bytes.subarray(src * size, src * size + size), o * size);
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < h.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** A lazy checkpoint entry for an npy array (header already checked). */
export function npyEntry(source: ByteSource, name: string, h: NpyHeader): TensorEntry {
  return {
    name, dtype: h.dtype, shape: h.shape, numel: h.numel, byteLength: h.numel * DTYPE_SIZE[h.dtype],
    readFloat32: async () => toFloat32(await readCOrderBytes(source, h), h.dtype),
    readBytes: () => readCOrderBytes(source, h),
  };
}

type PyLit = string | number | boolean | null | PyLit[];

/** Parse the header dict literal: {'key': value, ...} with strings, ints, True/False/None, tuples and lists. */
export function parsePyDict(text: string, label: string): Map<string, PyLit> {
  let i = 0;
  const fail = () => new SoftMoeError('E_CORRUPT', `${label}: npy header is not a valid dict literal`);
  const ws = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const value = (depth: number): PyLit => {
    if (depth > 8) throw fail();
    ws();
    const c = text[i];
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw fail();
      const s = text.slice(i + 1, end);
      i = end + 1;
      return s;
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyLit[] = [];
      for (;;) {
        ws();
        if (text[i] === close) {
          i++;
          return items;
        }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== close) throw fail();
      }
    }
    const m = /^(-?\d{1,18}L?|True|False|None)/.exec(text.slice(i, i + 24));
    if (!m) throw fail();
    i += m[0].length;
    return m[0] === 'True' ? true : m[0] === 'False' ? false : m[0] === 'None' ? null : Number(m[0].replace('L', ''));
  };
  const out = new Map<string, PyLit>();
  ws();
  if (text[i++] !== '{') throw fail();
  for (;;) {
    ws();
    if (text[i] === '}') break;
    const k = value(0);
    ws();
    if (typeof k !== 'string' || text[i++] !== ':') throw fail();
    out.set(k, value(0));
    ws();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw fail();
  }
  return out;
}
