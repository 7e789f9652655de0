/**
 * The ALLOWLIST of pickle globals. A global not listed here is refused (E_UNSAFE) the moment the pickle names it;
 * listed ones are either inert markers (storage types, tensor types, torch dtypes) or small TypeScript functions
 * that build containers and tensor references. Nothing Python is ever called.
 */
import { SoftMoeError } from '../errors';
import { clip, quoteValue, shapeText } from '../quote';
import { MetaTensorRef, NumpyDType, PyGlobal, PyNamespace, PyTuple, StorageRef, TensorRef, toJsonSafe, type PyValue } from './pickleValues';
import type { DType } from './types';

/** torch storage classes → element type. */
export const STORAGE_DTYPES: Record<string, DType> = {
  DoubleStorage: 'F64', FloatStorage: 'F32', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL', UntypedStorage: 'U8',
};

/** Storage types that exist in torch but whose element type we do not read. */
const UNSUPPORTED_STORAGES = ['ComplexFloatStorage', 'ComplexDoubleStorage', 'QInt8Storage', 'QUInt8Storage', 'QInt32Storage', 'QUInt4x2Storage', 'QUInt2x4Storage'];

/** torch dtype markers → element type. */
const TORCH_DTYPES: Record<string, DType> = {
  float64: 'F64', double: 'F64', float32: 'F32', float: 'F32', float16: 'F16', half: 'F16', bfloat16: 'BF16',
  int64: 'I64', long: 'I64', int32: 'I32', int: 'I32', int16: 'I16', short: 'I16', int8: 'I8', uint8: 'U8', bool: 'BOOL',
};

type Callable = (args: PyValue[], label: string) => PyValue;

function iterableItems(v: PyValue, what: string, label: string): PyValue[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return [...v.keys()];
  throw new SoftMoeError('E_CORRUPT', `${label}: pickle passes a non-iterable to ${what}`);
}

function intArgs(v: PyValue, what: string, label: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0)) {
    throw new SoftMoeError('E_CORRUPT', `${label}: tensor ${what} ${quoteValue(toJsonSafe(v), 60)} is not a list of non-negative integers`);
  }
  return v as number[];
}

function rebuildTensor(args: PyValue[], label: string): TensorRef {
  const [storage, offset, size, stride, requiresGrad] = args;
  if (!(storage instanceof StorageRef)) throw new SoftMoeError('E_CORRUPT', `${label}: tensor is not backed by a storage of the checkpoint`);
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) throw new SoftMoeError('E_CORRUPT', `${label}: tensor storage offset ${quoteValue(toJsonSafe(offset), 40)} is invalid`);
  const shape = intArgs(size, 'shape', label);
  const strides = intArgs(stride, 'stride', label);
  if (shape.length !== strides.length) throw new SoftMoeError('E_CORRUPT', `${label}: tensor shape ${shapeText(shape)} and stride ${shapeText(strides)} differ in length`);
  return new TensorRef(storage, offset, [...shape], [...strides], requiresGrad === true);
}

/** torch._utils._rebuild_meta_tensor_no_storage(dtype, size, stride, requires_grad): a shape-only tensor. */
function rebuildMetaTensor(args: PyValue[], label: string): MetaTensorRef {
  const [dtype, size, stride, requiresGrad] = args;
  const dt = dtype instanceof PyGlobal && dtype.module === 'torch' ? TORCH_DTYPES[dtype.name] : undefined;
  if (!dt) throw new SoftMoeError('E_CORRUPT', `${label}: meta tensor has a dtype that is not a torch dtype`);
  const shape = intArgs(size, 'shape', label);
  const strides = intArgs(stride, 'stride', label);
  if (shape.length !== strides.length) throw new SoftMoeError('E_CORRUPT', `${label}: meta tensor shape ${shapeText(shape)} and stride ${shapeText(strides)} differ in length`);
  return new MetaTensorRef(dt, [...shape], [...strides], requiresGrad === true);
}

function newDict(args: PyValue[], label: string): Map<PyValue, PyValue> {
  const m = new Map<PyValue, PyValue>();
  const init = args[0];
  if (init instanceof Map) for (const [k, v] of init) m.set(k, v);
  else for (const pair of iterableItems(init, 'dict()', label)) {
    if (!Array.isArray(pair) || pair.length !== 2) throw new SoftMoeError('E_CORRUPT', `${label}: pickle passes a bad item to dict()`);
    m.set(pair[0], pair[1]);
  }
  return m;
}

function toBytes(v: PyValue, label: string): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v.slice();
  if (typeof v === 'string') return latin1(v, label);
  return Uint8Array.from(iterableItems(v, 'bytes()', label).map((x) => (typeof x === 'number' ? x & 0xff : 0)));
}

function latin1(s: string, label: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw new SoftMoeError('E_CORRUPT', `${label}: pickle encodes a non-latin-1 string as bytes`);
    out[i] = c;
  }
  return out;
}

/** numpy.core.multiarray.scalar(dtype, bytes) → a JS number (bool → boolean). Other dtypes are refused. */
function numpyScalar(args: PyValue[], label: string): PyValue {
  const [dtype, raw] = args;
  if (!(dtype instanceof NumpyDType) || !(raw instanceof Uint8Array)) throw new SoftMoeError('E_CORRUPT', `${label}: bad numpy scalar in the pickle`);
  const code = dtype.code.replace(/^[<>=|]/, '');
  const sizes: Record<string, number> = { f8: 8, f4: 4, f2: 2, i8: 8, i4: 4, i2: 2, i1: 1, u8: 8, u4: 4, u2: 2, u1: 1, b1: 1 };
  const size = sizes[code];
  if (size === undefined) throw new SoftMoeError('E_UNSUPPORTED', `${label}: holds a numpy scalar of dtype ${dtype.code}, which is not read`);
  if (raw.byteLength !== size) throw new SoftMoeError('E_CORRUPT', `${label}: numpy ${code} scalar has ${raw.byteLength} bytes`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const le = dtype.byteOrder !== '>';
  switch (code) {
    case 'f8': return dv.getFloat64(0, le);
    case 'f4': return dv.getFloat32(0, le);
    case 'f2': return float16(dv.getUint16(0, le));
    case 'i8': { const v = dv.getBigInt64(0, le); return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
    case 'u8': { const v = dv.getBigUint64(0, le); return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v; }
    case 'i4': return dv.getInt32(0, le);
    case 'u4': return dv.getUint32(0, le);
    case 'i2': return dv.getInt16(0, le);
    case 'u2': return dv.getUint16(0, le);
    case 'i1': return dv.getInt8(0);
    case 'b1': return dv.getUint8(0) !== 0;
    default: return dv.getUint8(0);
  }
}

function float16(h: number): number {
  const e = (h >> 10) & 0x1f, m = h & 0x3ff, s = h & 0x8000 ? -1 : 1;
  return e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
}

const CALLABLES: Record<string, Callable> = {
  // Inert data classes that real checkpoints carry beside the weights (DeiT/timm `args`, numpy metrics).
  'argparse.Namespace': () => new PyNamespace(),
  'numpy.dtype': (a, l) => {
    if (typeof a[0] !== 'string' || a[0].length > 8) throw new SoftMoeError('E_CORRUPT', `${l}: bad numpy dtype in the pickle`);
    return new NumpyDType(a[0]);
  },
  'numpy.core.multiarray.scalar': numpyScalar,
  'numpy._core.multiarray.scalar': numpyScalar,
  'collections.OrderedDict': newDict,
  'builtins.dict': newDict,
  'builtins.list': (a, l) => [...iterableItems(a[0], 'list()', l)],
  'builtins.tuple': (a, l) => PyTuple.from(iterableItems(a[0], 'tuple()', l)),
  'builtins.set': (a, l) => new Set(iterableItems(a[0], 'set()', l)),
  'builtins.frozenset': (a, l) => new Set(iterableItems(a[0], 'frozenset()', l)),
  'builtins.bytearray': (a, l) => toBytes(a[0], l),
  'builtins.bytes': (a, l) => toBytes(a[0], l),
  '_codecs.encode': (a, l) => {
    if (typeof a[0] !== 'string') throw new SoftMoeError('E_CORRUPT', `${l}: _codecs.encode needs a string`);
    const enc = String(a[1] ?? 'utf-8').toLowerCase().replace('_', '-');
    if (enc === 'latin1' || enc === 'latin-1' || enc === 'iso-8859-1') return latin1(a[0], l);
    if (enc === 'utf-8' || enc === 'utf8') return new TextEncoder().encode(a[0]);
    throw new SoftMoeError('E_UNSUPPORTED', `${l}: pickle uses text encoding '${enc}'`);
  },
  'torch._utils._rebuild_tensor_v2': rebuildTensor,
  'torch._utils._rebuild_tensor': rebuildTensor,
  'torch._utils._rebuild_meta_tensor_no_storage': rebuildMetaTensor,
  'torch._utils._rebuild_parameter': (a, l) => {
    if (!(a[0] instanceof TensorRef || a[0] instanceof MetaTensorRef)) throw new SoftMoeError('E_CORRUPT', `${l}: parameter does not wrap a tensor`);
    return a[0];
  },
  'torch._utils._rebuild_parameter_with_state': (a, l) => CALLABLES['torch._utils._rebuild_parameter']!(a, l),
  'torch._tensor._rebuild_from_type_v2': (a, l) => {
    const [fn, , fnArgs] = a;
    if (!(fn instanceof PyGlobal) || !Array.isArray(fnArgs)) throw new SoftMoeError('E_CORRUPT', `${l}: bad _rebuild_from_type_v2 call`);
    return callGlobal(fn, fnArgs, l);
  },
  'torch.Size': (a, l) => PyTuple.from(iterableItems(a[0], 'torch.Size()', l)),
  'torch.device': (a) => a.map(String).join(':'),
};

/** Resolve a global the pickle names, or refuse it. Python 2 module names are mapped to Python 3 ones. */
export function resolveGlobal(module: string, name: string, label: string): PyGlobal {
  const mod = module === '__builtin__' ? 'builtins' : module === 'copy_reg' ? 'copyreg' : module;
  const q = `${mod}.${name}`;
  const ok =
    q in CALLABLES ||
    (mod === 'torch' && (name in STORAGE_DTYPES || name in TORCH_DTYPES || name === 'Tensor')) ||
    q === 'torch.nn.parameter.Parameter';
  if (ok) return new PyGlobal(mod, name);
  if (mod === 'torch' && UNSUPPORTED_STORAGES.includes(name)) {
    throw new SoftMoeError('E_UNSUPPORTED', `${label}: holds tensors of type ${name}, which is not supported (float, int and bool tensors are)`);
  }
  throw new SoftMoeError('E_UNSAFE', `${label}: refuses to load pickle global '${clip(q)}' (only tensors and containers are read)`);
}

/** Call an allowlisted callable. Type markers (storages, dtypes) are not callable. */
export function callGlobal(fn: PyValue, args: PyValue[], label: string): PyValue {
  if (!(fn instanceof PyGlobal)) throw new SoftMoeError('E_UNSAFE', `${label}: pickle calls something that is not an allowlisted function`);
  const impl = CALLABLES[fn.qualname];
  if (!impl) throw new SoftMoeError('E_UNSAFE', `${label}: refuses to call pickle global '${clip(fn.qualname)}' (only tensors and containers are read)`);
  return impl(args, label);
}

/** The element type of an allowlisted storage type marker, or undefined. */
export function storageDType(v: PyValue): DType | undefined {
  return v instanceof PyGlobal && v.module === 'torch' ? STORAGE_DTYPES[v.name] : undefined;
}
