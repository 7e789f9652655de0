/**
 * PyTorch zip checkpoints (`torch.save` since 1.6): `<archive>/data.pkl` + `<archive>/data/<key>` storages.
 * The pickle is read with the allowlisting unpickler; tensors become lazy entries that read their storage bytes by
 * offset (STORED entries) and materialise non-contiguous views as contiguous row-major Float32.
 */
import { resolve } from 'node:path';
import { SoftMoeError } from '../errors';
import { MAX_DIMS, MAX_EMPTY_EXTENT, shapeNumel, toFloat32 } from './dtype';
import { unpickle } from './pickle';
import { storageDType } from './pickleGlobals';
import { MetaTensorRef, StorageRef, TensorRef, keyName, toJsonSafe, type PyValue } from './pickleValues';
import { bytesText, clip, quoteValue, shapeText } from '../quote';
import { ZipArchive } from './zipArchive';
import { DTYPE_SIZE, type ByteSource, type Checkpoint, type TensorEntry } from './types';

/** Largest data.pkl we unpickle. */
const MAX_PICKLE_BYTES = 256 * 1024 * 1024;
/** Keys under which checkpoints nest their state_dict (timm, DeiT, Lightning, DDP wrappers), most specific first. */
export const STATE_DICT_KEYS = ['state_dict', 'model', 'module', 'model_state_dict', 'net'];

/** Where the pickle lives in a torch zip: `<archive>/data.pkl` (or a bare `data.pkl`). Undefined when absent. */
export function findTorchPickle(zip: ZipArchive): { pkl: string; prefix: string } | undefined {
  const names = [...zip.entries.keys()].filter((n) => /^([^/]+\/)?data\.pkl$/.test(n)).sort((a, b) => a.length - b.length);
  const pkl = names[0];
  return pkl === undefined ? undefined : { pkl, prefix: pkl.slice(0, -'data.pkl'.length) };
}

/** Open a torch zip checkpoint over a source (the checkpoint's close() closes the source). */
export async function openTorchZipSource(source: ByteSource, path: string, zipIn?: ZipArchive): Promise<Checkpoint> {
  const zip = zipIn ?? (await ZipArchive.open(source, path));
  const found = findTorchPickle(zip);
  if (!found) throw new SoftMoeError('E_FORMAT', `${path}: is a zip without data.pkl, so not a PyTorch checkpoint`);
  const { pkl, prefix } = found;
  const byteorder = zip.entries.has(`${prefix}byteorder`) ? new TextDecoder().decode(await zip.readAll(`${prefix}byteorder`, 64)) : 'little';
  if (byteorder.trim() !== 'little') throw new SoftMoeError('E_UNSUPPORTED', `${path}: was saved on a big-endian machine`);
  const pickleBytes = await zip.readAll(pkl, MAX_PICKLE_BYTES);
  const storages = new Map<string, StorageRef>();
  const root = unpickle(pickleBytes, {
    label: path,
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length !== 5) throw new SoftMoeError('E_UNSAFE', `${path}: pickle has a persistent id that is not a torch storage`);
      const [, type, key, location, numel] = pid as [string, PyValue, PyValue, PyValue, PyValue];
      const dtype = storageDType(type);
      if (!dtype) throw new SoftMoeError('E_UNSAFE', `${path}: storage has a type that is not a torch storage class`);
      if (typeof key !== 'string' || !/^[\w.-]{1,64}$/.test(key)) throw new SoftMoeError('E_CORRUPT', `${path}: storage key ${quoteValue(toJsonSafe(key), 40)} is invalid`);
      if (typeof numel !== 'number' || !Number.isSafeInteger(numel) || numel < 0) throw new SoftMoeError('E_CORRUPT', `${path}: storage '${key}' has an invalid size`);
      const entry = zip.entries.get(`${prefix}data/${key}`);
      if (!entry) throw new SoftMoeError('E_CORRUPT', `${path}: storage '${key}' named by the pickle is missing from the zip (data/${key})`);
      const need = BigInt(numel) * BigInt(DTYPE_SIZE[dtype]);
      if (BigInt(entry.uncompressedSize) < need) {
        throw new SoftMoeError('E_CORRUPT', `${path}: storage '${key}' has ${bytesText(entry.uncompressedSize)}, fewer than its ${numel} ${dtype} elements need (${bytesText(need)})`);
      }
      const existing = storages.get(key);
      if (existing) return existing;
      const ref = new StorageRef(key, dtype, numel, typeof location === 'string' ? location : 'cpu');
      storages.set(key, ref);
      return ref;
    },
  });
  const { tensors: refs, stateDictKey, extras } = findStateDict(root, path);
  const tensors = new Map<string, TensorEntry>();
  for (const [name, ref] of refs) {
    tensors.set(name, ref instanceof MetaTensorRef ? metaEntry(name, ref, path) : tensorEntry(zip, `${prefix}data/${ref.storage.key}`, name, ref, path));
  }
  return {
    path: resolve(path), format: 'pytorch-zip', fileSize: source.size, tensors, stateDictKey, metadata: {}, extras,
    close: async () => {
      zip.close();
      await source.close();
    },
  };
}

type AnyTensorRef = TensorRef | MetaTensorRef;

/** The tensors of a dict (a dict of only meta tensors is not a state_dict). */
function tensorMap(v: PyValue): Map<string, AnyTensorRef> | undefined {
  if (!(v instanceof Map)) return undefined;
  const out = new Map<string, AnyTensorRef>();
  let real = 0;
  for (const [k, t] of v) {
    if (t instanceof TensorRef) real++;
    if (t instanceof TensorRef || t instanceof MetaTensorRef) out.set(keyName(k), t);
  }
  return real > 0 ? out : undefined;
}

/** Find the state_dict: the top-level dict if it holds tensors, else under a known key (two levels at most). */
export function findStateDict(root: PyValue, path: string): { tensors: Map<string, AnyTensorRef>; stateDictKey: string; extras: Record<string, unknown> } {
  const extrasOf = (m: Map<PyValue, PyValue>, skip?: PyValue) => {
    const out: Record<string, unknown> = {};
    const budget = { nodes: 20_000 };
    for (const [k, v] of m) if (k !== skip && !(v instanceof TensorRef || v instanceof MetaTensorRef)) out[keyName(k)] = toJsonSafe(v, budget);
    return out;
  };
  if (root instanceof TensorRef) return { tensors: new Map([['tensor', root]]), stateDictKey: '', extras: {} };
  if (!(root instanceof Map)) throw new SoftMoeError('E_FORMAT', `${path}: holds a ${Array.isArray(root) ? 'list' : typeof root}, not a state_dict`);
  const top = tensorMap(root);
  if (top) return { tensors: top, stateDictKey: '', extras: extrasOf(root) };
  for (const key of STATE_DICT_KEYS) {
    const inner = root.get(key);
    const t = tensorMap(inner);
    if (t) return { tensors: t, stateDictKey: key, extras: extrasOf(root, key) };
    if (inner instanceof Map) {
      for (const key2 of STATE_DICT_KEYS) {
        const t2 = tensorMap(inner.get(key2));
        if (t2) return { tensors: t2, stateDictKey: `${key}.${key2}`, extras: extrasOf(root, key) };
      }
    }
  }
  throw new SoftMoeError('E_FORMAT', `${path}: contains no state_dict (no tensors at the top level or under ${STATE_DICT_KEYS.map((k) => `'${k}'`).join(', ')})`);
}

/** A meta tensor: listed with its shape and dtype; reading it is an error naming it. */
function metaEntry(name: string, ref: MetaTensorRef, path: string): TensorEntry {
  if (ref.shape.length > MAX_DIMS) throw new SoftMoeError('E_CORRUPT', `${path}: tensor '${clip(name)}' has ${ref.shape.length} dimensions (at most ${MAX_DIMS} are read)`);
  const numel = shapeNumel(ref.shape, `${path}: tensor '${clip(name)}'`);
  return {
    name, dtype: ref.dtype, shape: ref.shape, numel, byteLength: 0, meta: true,
    readFloat32() {
      return Promise.reject(new SoftMoeError('E_UNSUPPORTED', `${path}: tensor '${clip(name)}' ${shapeText(ref.shape)} is a meta tensor, saved with its shape but without data, so the model that needs it cannot run; re-save the checkpoint with that tensor's values.`));
    },
  };
}

/** A lazy entry for a tensor view; bounds are checked now, bytes are read on demand. */
function tensorEntry(zip: ZipArchive, entryName: string, name: string, ref: TensorRef, path: string): TensorEntry {
  const { storage, shape, stride, storageOffset } = ref;
  const dtype = storage.dtype;
  const size = DTYPE_SIZE[dtype];
  const label = `${path}: tensor '${clip(name)}'`;
  if (shape.length > MAX_DIMS) throw new SoftMoeError('E_CORRUPT', `${label} has ${shape.length} dimensions (at most ${MAX_DIMS} are read)`);
  const numel = shapeNumel(shape, label);
  // A view with zero strides (expand) repeats its storage; materialising it must stay within what the file justifies.
  if (numel > storage.numel && numel > MAX_EMPTY_EXTENT) {
    throw new SoftMoeError('E_CORRUPT', `${label} (shape ${shapeText(shape)}) repeats a storage of ${storage.numel} elements into ${numel.toLocaleString('en-US')}; re-save it with .contiguous()`);
  }
  let maxIndex = storageOffset;
  for (let i = 0; i < shape.length; i++) if (shape[i]! > 0) maxIndex += (shape[i]! - 1) * stride[i]!;
  if (numel > 0 && (!Number.isSafeInteger(maxIndex) || maxIndex >= storage.numel)) {
    throw new SoftMoeError('E_CORRUPT', `${label} (shape ${shapeText(shape)}, offset ${storageOffset}) reaches element ${maxIndex} of a storage of ${storage.numel} elements`);
  }
  let contiguous = true;
  for (let i = shape.length - 1, expect = 1; i >= 0; i--) {
    if (shape[i] !== 1 && stride[i] !== expect) contiguous = false;
    expect *= shape[i]!;
  }
  const readBytes = async (): Promise<Uint8Array> => {
    if (numel === 0) return new Uint8Array(0);
    const span = maxIndex - storageOffset + 1;
    const stored = await zip.readRange(entryName, storageOffset * size, span * size);
    if (contiguous) return stored;
    // A strided view: gather its elements into row-major order.
    const out = new Uint8Array(numel * size);
    const idx = new Array<number>(shape.length).fill(0);
    for (let o = 0; o < numel; o++) {
      let src = 0;
      for (let d = 0; d < shape.length; d++) src += idx[d]! * stride[d]!;
      out.set(stored.subarray(src * size, src * size + size), o * size);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d]! < shape[d]!) break;
        idx[d] = 0;
      }
    }
    return out;
  };
  return { name, dtype, shape, numel, byteLength: numel * size, readBytes, readFloat32: async () => toFloat32(await readBytes(), dtype) };
}
