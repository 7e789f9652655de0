/**
 * A TensorFlow.js backend that turns the model code we already have into ONNX graphs, so ONNX Runtime can run the
 * SAME Soft MoE layer, MNIST model and ViT that tfjs runs — one implementation of the math, two ways to execute it.
 *
 * It is tfjs's cpu backend plus symbolic values:
 *   - a kernel whose inputs are all concrete (weights, load-time transposes, small constants) runs on the cpu kernels
 *     as usual (constant folding), so loading a model and preparing weights work unchanged;
 *   - a kernel with a symbolic input (a graph input, or the output of a recorded kernel) is not computed: its ONNX
 *     equivalent is appended to the current recording (onnxKernels.ts) and a symbolic output of the right shape and
 *     dtype is returned.
 * `record(inputs, fn)` runs `fn` on placeholders and hands back the graph from those inputs to what `fn` returns.
 * Concrete tensors the graph uses become initializers (small) or inputs fed by reference on every run (weights), so
 * weights live once, in this process's memory, whatever the number of graphs.
 *
 * A recorded function must be a pure function of its inputs and the model's weights: data reaches it only through
 * its inputs (anything it creates itself becomes a constant of the graph).
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { SoftMoeError } from '../../errors';
import { DynamicShapeError } from './dynamicShape';
import { FUSED_KERNELS, emitKernel, type EmitContext } from './onnxKernels';

export { DynamicShapeError };
import { ONNX_DTYPE, rawBytes, type AttrValue, type OnnxDtype, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnxProto';

export const GRAPH_BACKEND = 'onnx';

type DataId = object;

interface Entry {
  values: tf.backend_util.BackendValues | null;
  dtype: tf.DataType;
  refCount: number;
  /** Name of the ONNX value this symbolic tensor stands for. */
  sym?: string;
}

/** A constant the graph needs at run time, fed by reference (no copy). */
export interface GraphFeed {
  name: string;
  dtype: OnnxDtype;
  dims: number[];
  values: Float32Array | Int32Array | Uint8Array;
}

export interface RecordedGraph {
  graph: OnnxGraph;
  /** Names of the placeholders, in the order given to `record`. */
  inputs: string[];
  /** Names of the outputs, in the order `fn` returned them, with their shapes. */
  outputs: Array<{ name: string; shape: number[]; dtype: OnnxDtype }>;
  /** Constants fed as inputs on every run. */
  feeds: GraphFeed[];
}

export interface PlaceholderSpec {
  /** A number, or the name of a dimension that may differ between runs (rows of a batch, kept rows of an expert). */
  shape: Array<number | string>;
  dtype?: 'float32' | 'int32' | 'bool';
}


/**
 * Named dimensions are recorded as distinct primes that no real size is a multiple of; any size divisible by one
 * derives from that dimension. They only size symbolic tensors (nothing is allocated for them).
 */
const SENTINELS = [10007, 10009, 10037, 10039, 10061, 10067, 10069, 10079, 10091, 10093, 10099, 10103, 10111, 10133, 10139, 10141, 10151, 10159, 10163, 10169, 10177, 10181, 10193, 10211, 10223, 10243, 10247, 10253, 10259, 10267, 10271, 10273, 10289, 10301, 10303, 10313, 10321, 10331, 10333, 10337];

/** Elements up to which a constant is written into the graph rather than fed. */
const INLINE_LIMIT = 4096;

function onnxDtype(d: tf.DataType): OnnxDtype {
  if (d === 'float32' || d === 'int32' || d === 'bool') return d;
  throw new SoftMoeError('E_UNSUPPORTED', `The ONNX backend does not handle ${d} tensors.`);
}

class Recording implements EmitContext {
  readonly sentinels: number[] = [];
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly feeds: GraphFeed[] = [];
  /**
   * Constants already in the graph, by their data and shape: tfjs's reshape shares its input's data, so one weight
   * can reach kernels in several shapes (a [d, h] matrix, and [1, d, h] as a fused matMul's operand).
   */
  private readonly constNames = new Map<DataId, Map<string, string>>();
  private next = 0;

  constructor(private readonly backend: GraphBackend) {}

  fresh(prefix: string): string {
    return `${prefix}${this.next++}`;
  }

  /** Whether a size derives from a named dimension. */
  dynamic(v: number): boolean {
    return v !== 0 && this.sentinels.some((p) => v % p === 0);
  }

  value(t: tf.TensorInfo): string {
    const e = this.backend.entry(t.dataId);
    if (e.sym !== undefined) return e.sym;
    const shapes = this.constNames.get(t.dataId) ?? new Map<string, string>();
    this.constNames.set(t.dataId, shapes);
    const key = t.shape.join(',');
    const known = shapes.get(key);
    if (known) return known;
    if (t.shape.some((v) => this.dynamic(v))) throw new DynamicShapeError(`a constant [${t.shape.join(', ')}] is sized by a named dimension`);
    // The same data in another shape: a reshape of the constant already written, not a second copy.
    const [other] = shapes.values();
    if (other !== undefined) {
      const name = (this.node('Reshape', [other, this.ints(t.shape)]) as [string])[0];
      shapes.set(key, name);
      return name;
    }
    const dtype = onnxDtype(t.dtype);
    const values = toTyped(e.values, dtype);
    const name = this.fresh('c');
    if (values.length <= INLINE_LIMIT) this.initializers.push({ name, dtype, dims: [...t.shape], raw: new Uint8Array(rawBytes(values)) });
    else this.feeds.push({ name, dtype, dims: [...t.shape], values });
    shapes.set(key, name);
    return name;
  }

  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, outputs = 1): string[] {
    const outs = Array.from({ length: outputs }, () => this.fresh('v'));
    this.nodes.push({ op, inputs, outputs: outs, ...(attrs ? { attrs } : {}) });
    return outs;
  }

  ints(values: readonly number[], dims: number[] = [values.length]): string {
    const name = this.fresh('k');
    const a = new BigInt64Array(values.length);
    values.forEach((v, i) => (a[i] = BigInt(v)));
    this.initializers.push({ name, dtype: 'int64', dims, raw: new Uint8Array(rawBytes(a)) });
    return name;
  }

  floats(values: readonly number[], dims: number[] = [values.length]): string {
    const name = this.fresh('k');
    this.initializers.push({ name, dtype: 'float32', dims, raw: new Uint8Array(rawBytes(Float32Array.from(values))) });
    return name;
  }

  out(name: string, shape: number[], dtype: tf.DataType): tf.TensorInfo {
    return this.backend.symbolic(name, shape, dtype);
  }
}

function toTyped(v: tf.backend_util.BackendValues | null, dtype: OnnxDtype): Float32Array | Int32Array | Uint8Array {
  if (v === null) throw new SoftMoeError('E_INTERNAL', 'Internal error: a constant of the graph has no values.');
  if (dtype === 'float32') return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
  if (dtype === 'int32') return v instanceof Int32Array ? v : Int32Array.from(v as ArrayLike<number>);
  return v instanceof Uint8Array ? v : Uint8Array.from(v as ArrayLike<number>);
}

export class GraphBackend extends MathBackendCPU {
  private recording: Recording | null = null;

  constructor() {
    super();
    // The cpu backend's one-time "install tfjs-node" hint does not apply: this backend computes through ONNX Runtime.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  entry(dataId: DataId): Entry {
    return (this.data as unknown as { get(id: DataId): Entry }).get(dataId);
  }

  isSymbolic(dataId: DataId): boolean {
    return this.entry(dataId).sym !== undefined;
  }

  /** Whether this backend holds `dataId` as a graph value (never moves another backend's data here). */
  holdsSymbolic(dataId: DataId): boolean {
    const store = this.data as unknown as { has(id: DataId): boolean };
    return store.has(dataId) && this.isSymbolic(dataId);
  }

  symbolic(name: string, shape: number[], dtype: tf.DataType): tf.TensorInfo {
    const dataId = { id: (this as unknown as { nextDataId(): number }).nextDataId() };
    (this.data as unknown as { set(id: DataId, e: Entry): void }).set(dataId, { values: null, dtype, refCount: 1, sym: name });
    return { dataId, shape, dtype };
  }

  /** Called by every kernel on this backend: concrete inputs compute on the cpu kernel, symbolic ones record. */
  runKernel(name: string, cpu: tf.KernelFunc | undefined, config: Parameters<tf.KernelFunc>[0]): tf.TensorInfo | tf.TensorInfo[] {
    const inputs = Object.values(config.inputs as Record<string, tf.TensorInfo | undefined>).filter((t): t is tf.TensorInfo => t != null);
    if (!inputs.some((t) => this.isSymbolic(t.dataId))) {
      if (!cpu) throw new SoftMoeError('E_UNSUPPORTED', `The ONNX backend cannot compute tfjs kernel '${name}'.`);
      return cpu(config);
    }
    if (!this.recording) throw new SoftMoeError('E_INTERNAL', `Internal error: kernel '${name}' reached a graph value outside a recording.`);
    return emitKernel(this.recording, name, config.inputs, config.attrs ?? {});
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    if (this.isSymbolic(dataId)) throw new SoftMoeError('E_INTERNAL', 'Internal error: a graph value was read while the graph was being recorded; pass data in through the inputs.');
    return super.readSync(dataId);
  }

  override async read(dataId: DataId): Promise<tf.backend_util.BackendValues> {
    return this.readSync(dataId);
  }

  /**
   * Run `fn` on placeholders of the given shapes and record what it computes from them. Returns the graph from the
   * placeholders to `fn`'s outputs. Tensors `fn` creates are disposed.
   */
  record(name: string, specs: PlaceholderSpec[], fn: (...inputs: tf.Tensor[]) => tf.Tensor[]): RecordedGraph {
    if (this.recording) throw new SoftMoeError('E_INTERNAL', 'Internal error: graph recordings cannot nest.');
    if (tf.getBackend() !== GRAPH_BACKEND) throw new SoftMoeError('E_INTERNAL', `Internal error: recording a graph needs the '${GRAPH_BACKEND}' backend active (it is '${tf.getBackend()}').`);
    const rec = new Recording(this);
    this.recording = rec;
    try {
      const symbols = [...new Set(specs.flatMap((s) => s.shape.filter((v): v is string => typeof v === 'string')))];
      if (symbols.length > SENTINELS.length) throw new SoftMoeError('E_INTERNAL', `Internal error: ${symbols.length} named dimensions in one graph.`);
      const sentinelOf = new Map(symbols.map((name, i) => [name, SENTINELS[i] as number]));
      rec.sentinels.push(...sentinelOf.values());
      const concrete = (shape: Array<number | string>) => shape.map((v) => (typeof v === 'string' ? (sentinelOf.get(v) as number) : v));
      const inputs: OnnxValueInfo[] = specs.map((s, i) => ({ name: `in${i}`, dtype: s.dtype ?? 'float32', dims: [...s.shape] }));
      const result = tf.tidy(() => {
        const placeholders = inputs.map((v, i) => tf.engine().makeTensorFromTensorInfo(this.symbolic(v.name, concrete((specs[i] as PlaceholderSpec).shape), v.dtype as tf.DataType), this));
        return fn(...placeholders);
      });
      try {
        const outputs = result.map((t, i) => {
          let value = rec.value(t);
          // A graph output must be produced by a node (not be an input or a constant).
          if (!rec.nodes.some((n) => n.outputs.includes(value))) value = (rec.node('Identity', [value]) as [string])[0];
          const out = `out${i}`;
          rec.nodes.push({ op: 'Identity', inputs: [value], outputs: [out] });
          return { name: out, shape: [...t.shape], dtype: onnxDtype(t.dtype) };
        });
        return {
          graph: {
            name,
            nodes: rec.nodes,
            initializers: rec.initializers,
            inputs: [...inputs, ...rec.feeds.map((f) => ({ name: f.name, dtype: f.dtype, dims: f.dims }))],
            outputs: outputs.map((o) => ({ name: o.name, dtype: o.dtype, dims: o.shape.map((v, d) => (rec.dynamic(v) ? `${o.name}_d${d}` : v)) })),
          },
          inputs: inputs.map((v) => v.name),
          outputs,
          feeds: rec.feeds,
        };
      } finally {
        tf.dispose(result);
      }
    } finally {
      this.recording = null;
    }
  }
}

let instance: GraphBackend | undefined;

/**
 * Register the backend and its kernels (once): every kernel tfjs's cpu backend has, wrapped so that symbolic inputs
 * record instead of computing. Returns the instance.
 */
export function registerGraphBackend(): GraphBackend {
  if (instance) return instance;
  const backend = new GraphBackend();
  tf.registerBackend(GRAPH_BACKEND, () => backend, 0);
  // The fused operations (fusedOps.ts) exist only as graph nodes: they are called on graph values only.
  for (const name of FUSED_KERNELS) {
    tf.registerKernel({ kernelName: name, backendName: GRAPH_BACKEND, kernelFunc: (config) => backend.runKernel(name, undefined, config) });
  }
  for (const k of tf.getKernelsForBackend('cpu')) {
    const cpu = k.kernelFunc;
    tf.registerKernel({
      kernelName: k.kernelName,
      backendName: GRAPH_BACKEND,
      kernelFunc: (config) => backend.runKernel(k.kernelName, cpu, config),
    });
  }
  instance = backend;
  return backend;
}

export function graphBackend(): GraphBackend | undefined {
  return instance;
}

export { ONNX_DTYPE };
