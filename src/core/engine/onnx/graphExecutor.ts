/**
 * The executor (executor.ts) that runs the engine's model functions through ONNX Runtime: each function is recorded
 * once per key by the graph backend (graphBackend.ts) into an ONNX graph, compiled into a session, and then every
 * call is one `session.run`. Weights are fed by reference from the graph backend's memory, so they exist once
 * however many graphs there are.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../../errors';
import type { Executor, GraphFn, HostDtype, HostTensor } from '../executor';
import { DynamicShapeError } from './dynamicShape';
import { GRAPH_BACKEND, type GraphBackend, type PlaceholderSpec } from './graphBackend';
import { encodeModel } from './onnxProto';
import { createSession, ortVersion, type OrtModule, type OrtSession, type OrtTensor } from './ortRuntime';

interface Compiled {
  session: OrtSession;
  inputs: string[];
  outputs: Array<{ name: string; shape: number[] }>;
  feeds: Record<string, OrtTensor>;
}

export interface GraphExecutorOptions {
  /** Threads of each ONNX Runtime session (default 1: parallelism comes from the worker pool). */
  threads?: number;
}

export function graphExecutor(ort: OrtModule, backend: GraphBackend, opts: GraphExecutorOptions = {}): Executor {
  const compiled = new Map<string, Promise<Compiled>>();
  /** Keys whose function fixes a named dimension (compiled per shape). */
  const fixedOnly = new Set<string>();
  const threads = opts.threads ?? 1;

  /** The graph of `fn` for inputs like these: named dimensions left free, or every size fixed when `fixed`. */
  async function compile(fn: GraphFn, inputs: HostTensor[], fixedShapes: boolean, key: string): Promise<Compiled> {
    const prev = tf.getBackend();
    if (prev !== GRAPH_BACKEND) void tf.setBackend(GRAPH_BACKEND);
    if (tf.getBackend() !== GRAPH_BACKEND) throw new SoftMoeError('E_INTERNAL', `Internal error: could not switch tfjs to the '${GRAPH_BACKEND}' backend to record a graph.`);
    let rec;
    try {
      const specs: PlaceholderSpec[] = inputs.map((t) => ({
        shape: fixedShapes ? t.shape : t.shape.map((v, d) => t.symbols?.[d] ?? v),
        dtype: t.dtype ?? 'float32',
      }));
      rec = backend.record(key, specs, fn);
    } finally {
      if (prev !== GRAPH_BACKEND) void tf.setBackend(prev);
    }
    const session = await createSession(ort, encodeModel(rec.graph), threads);
    const feeds: Record<string, OrtTensor> = {};
    for (const f of rec.feeds) feeds[f.name] = new ort.Tensor(f.dtype, f.values, f.dims);
    return { session, inputs: rec.inputs, outputs: rec.outputs.map((o) => ({ name: o.name, shape: o.shape })), feeds };
  }

  const signature = (inputs: HostTensor[], fixedShapes: boolean) =>
    inputs.map((t) => `${t.dtype ?? 'float32'}[${t.shape.map((v, d) => (fixedShapes ? v : t.symbols?.[d] ?? v)).join(',')}]`).join(' ');

  /** The compiled graph for a call: the one with free named dimensions, else (if `fn` fixes them) one per shape. */
  async function graphFor(key: string, fn: GraphFn, inputs: HostTensor[]): Promise<Compiled> {
    const free = `${key} | ${signature(inputs, false)}`;
    if (!fixedOnly.has(free)) {
      let c = compiled.get(free);
      if (!c) {
        c = compile(fn, inputs, false, free);
        compiled.set(free, c);
      }
      try {
        return await c;
      } catch (err) {
        // A function that fixes a named size (DynamicShapeError), or whose shape checks trip over the stand-in
        // sizes, is compiled per shape; an error that is not about shapes recurs there and is reported.
        compiled.delete(free);
        fixedOnly.add(free);
        if (!(err instanceof DynamicShapeError) && !(err instanceof Error)) throw err;
      }
    }
    const exact = `${key} | ${signature(inputs, true)}`;
    let c = compiled.get(exact);
    if (!c) {
      c = compile(fn, inputs, true, exact);
      compiled.set(exact, c);
      c.catch(() => compiled.delete(exact));
    }
    return c;
  }

  return {
    backend: 'onnx',
    label: `onnxruntime ${ortVersion()} (CPU, ${threads} thread${threads === 1 ? '' : 's'})`,
    async call(key, fn, inputs) {
      const g = await graphFor(key, fn, inputs);
      const feeds: Record<string, OrtTensor> = { ...g.feeds };
      inputs.forEach((t, i) => {
        feeds[g.inputs[i] as string] = new ort.Tensor(t.dtype ?? 'float32', t.data, t.shape);
      });
      const out = await g.session.run(feeds);
      return g.outputs.map((o) => {
        const t = out[o.name] as OrtTensor;
        const dtype: HostDtype = t.type === 'int32' ? 'int32' : t.type === 'bool' ? 'bool' : 'float32';
        return { data: t.data as Float32Array | Int32Array | Uint8Array, shape: [...t.dims], dtype };
      });
    },
    async dispose() {
      const all = [...compiled.values()];
      compiled.clear();
      for (const c of all) {
        try {
          await (await c).session.release();
        } catch {
          // a graph that failed to compile has nothing to release
        }
      }
    },
  };
}
