/**
 * What the unpickler produces. Only inert data: containers, numbers, strings, bytes, and references to tensors and
 * storages. There is no way for a pickle to make us call anything outside the allowlist in pickleGlobals.ts.
 */
import type { DType } from './types';

/** A name the pickle asked for that is on the allowlist (a type marker such as torch.FloatStorage, or a callable). */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A storage named by a torch persistent id: its bytes live in the zip entry `data/<key>`. */
export class StorageRef {
  constructor(readonly key: string, readonly dtype: DType, readonly numel: number, readonly location: string) {}
}

/** A tensor view into a storage (torch._utils._rebuild_tensor_v2). Offsets and strides in elements. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly storageOffset: number,
    readonly shape: number[],
    readonly stride: number[],
    readonly requiresGrad: boolean,
  ) {}
}

/**
 * A tensor saved without data (a `meta` device tensor, torch._utils._rebuild_meta_tensor_no_storage): shape and
 * dtype only. The paper's vmap training code saves its template experts (`base_expert.*`) this way.
 */
export class MetaTensorRef {
  constructor(readonly dtype: DType, readonly shape: number[], readonly stride: number[], readonly requiresGrad: boolean) {}
}

/** An argparse.Namespace: its attributes, filled by BUILD. Shown in extras as an object. */
export class PyNamespace extends Map<unknown, unknown> {}

/** A numpy dtype (only its type code and byte order are kept), used to decode numpy scalars. */
export class NumpyDType {
  byteOrder = '<';
  constructor(readonly code: string) {}
}

/** A Python tuple (kept apart from lists so tuples stay recognisable in extras). */
export class PyTuple extends Array<unknown> {}

export type PyValue = unknown;

/** Convert an unpickled value to a JSON-safe value, with a node budget and depth cap (shared refs, cycles). */
export function toJsonSafe(value: PyValue, budget = { nodes: 20_000 }, depth = 0): unknown {
  if (--budget.nodes < 0 || depth > 32) return '…';
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (value instanceof TensorRef) return `<tensor ${value.storage.dtype} [${value.shape.join(', ')}]>`;
  if (value instanceof MetaTensorRef) return `<meta tensor ${value.dtype} [${value.shape.join(', ')}], no data>`;
  if (value instanceof StorageRef) return `<storage ${value.dtype} ${value.numel}>`;
  if (value instanceof PyGlobal) return value.qualname;
  if (value instanceof NumpyDType) return `dtype(${value.code})`;
  if (Array.isArray(value)) return Array.from(value, (v) => toJsonSafe(v, budget, depth + 1));
  if (value instanceof Set) return [...value].map((v) => toJsonSafe(v, budget, depth + 1));
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) {
      if (budget.nodes < 0) break;
      out[keyName(k)] = toJsonSafe(v, budget, depth + 1);
    }
    return out;
  }
  return String(value);
}

/** A dict key as a name: strings as they are, anything else (a number, a tuple, a deeply nested list) as short JSON. */
export function keyName(k: PyValue): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean') return String(k);
  const text = JSON.stringify(toJsonSafe(k, { nodes: 64 }));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
