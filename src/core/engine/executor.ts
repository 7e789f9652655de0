/**
 * How the built-in engine executes the model's tfjs code (tfjsEngine.ts): eagerly on a tfjs backend (wasm, cpu,
 * tfjs-node), or compiled into ONNX graphs run by ONNX Runtime (onnx/graphExecutor.ts). Either way the engine calls
 * the same model functions (stem, route, advance) with host arrays in and host arrays out, so the two executions
 * share every line of the model and of the engine.
 *
 * A function given to `call` must be a pure function of its inputs and the model's weights, and `key` must name it
 * exactly (which function, every option that changes what it computes, and the shapes of its inputs): a graph
 * executor compiles it once per key.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../errors';

export type HostDtype = 'float32' | 'int32' | 'bool';

export interface HostTensor {
  data: Float32Array | Int32Array | Uint8Array;
  shape: number[];
  dtype?: HostDtype;
  /**
   * Names of the dimensions that vary between calls of the same key (rows of a stack of passes, an expert's kept
   * rows): a graph executor compiles one graph for every size of them. Same name, same size.
   */
  symbols?: Array<string | undefined>;
}

export type GraphFn = (...inputs: tf.Tensor[]) => tf.Tensor[];

export interface Executor {
  /** The backend name results record ('wasm', 'cpu', 'node', 'onnx'). */
  readonly backend: string;
  /** One line for people. */
  readonly label: string;
  call(key: string, fn: GraphFn, inputs: HostTensor[]): Promise<HostTensor[]>;
  dispose(): Promise<void>;
}

export function hostTensor(data: Float32Array | Int32Array | Uint8Array, shape: number[], dtype?: HostDtype, symbols?: Array<string | undefined>): HostTensor {
  return { data, shape, ...(dtype ? { dtype } : {}), ...(symbols ? { symbols } : {}) };
}

/** The same tensor with its first dimension named (it varies between calls). */
export function varyingRows(t: HostTensor, name = 'rows'): HostTensor {
  return { ...t, symbols: [name, ...t.shape.slice(1).map(() => undefined)] };
}

/** Runs the function now on a tfjs backend (made active for the call: 'node' is tfjs's 'tensorflow'). */
export function eagerExecutor(backend: string): Executor {
  const tfName = backend === 'node' ? 'tensorflow' : backend;
  return {
    backend,
    label: `tfjs ${backend}`,
    async call(_key, fn, inputs) {
      if (tf.getBackend() !== tfName && !(await tf.setBackend(tfName))) {
        throw new SoftMoeError('E_INTERNAL', `Internal error: the tfjs backend '${backend}' is not available.`);
      }
      const outs = tf.tidy(() => fn(...inputs.map((t) => tf.tensor(t.data, t.shape, t.dtype ?? 'float32'))));
      try {
        return outs.map((o) => ({ data: o.dataSync() as Float32Array | Int32Array | Uint8Array, shape: [...o.shape], dtype: o.dtype as HostDtype }));
      } finally {
        tf.dispose(outs);
      }
    },
    async dispose() {},
  };
}
