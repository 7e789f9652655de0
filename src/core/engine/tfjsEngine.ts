/**
 * The built-in engine: a `SoftMoeModel` (the paper's MNIST model, the Soft MoE ViT) written in TensorFlow.js, behind
 * the `Engine` interface (engine.ts), executed eagerly on a tfjs backend or recorded into ONNX Runtime graphs
 * (executor.ts, onnx/graphExecutor.ts) — the same model code and the same engine either way. Every call into the
 * model goes through the executor with host arrays in and out.
 *
 * A batch keeps the activations entering the first MoE layer (`model.stem`), so every trace and masked pass resumes
 * from there, and — once traced or first asked for a masked pass — the first MoE layer's full routing and every
 * expert's slot outputs: its input is the same for every mask, so each pass only recombines them (Y = C_eff·Ỹ) and
 * the first layer's router and experts run once per batch. Later layers run each expert only on the rows that keep
 * it (the mask's kept rows are computed here and handed in, since a graph cannot read its mask). Masked passes are
 * stacked: a chunk of passes is one forward over (passes × b) rows — the cached arrays tiled, pass-major — so many
 * small passes become a few large matrix products.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError, yieldTurn } from '../errors';
import { argmaxRows } from './argmax';
import { currentBackend } from './backendName';
import type { BatchTrace, Engine, EngineBatch, LayerTrace, MaskedPasses, SelectingPasses, TraceRequest } from './engine';
import { eagerExecutor, hostTensor, varyingRows, type Executor, type HostTensor } from './executor';
import type { MoeCache, MoeRouting, MoeTrace, SoftMoeModel } from './model';
import { keptRowIndices, type KeptRows } from './keptRows';

export interface TfjsEngineOptions {
  /** Dispose the model with the engine. Default true. */
  ownsModel?: boolean;
  /**
   * Upper bound on (rows × (tokens + first-layer slots) × width) of one stacked forward, in float32 values: the tiled
   * state and the first layer's tiled slot outputs. Default 2²⁴ (64 MiB), never fewer rows than one pass.
   */
  maxStackedValues?: number;
  /** How the model's code runs (default: eagerly on the active tfjs backend). */
  executor?: Executor;
  /** Said in the engine's label after the executor's, in brackets (why it runs where it runs). */
  note?: string;
}

/** The first MoE layer's full routing and slot outputs on a batch, as host arrays. */
interface FirstLayer {
  logits: HostTensor;
  combine: HostTensor;
  dispatch: HostTensor;
  slotOutputs: HostTensor;
}

interface Shared {
  model: SoftMoeModel;
  exec: Executor;
  maxValues: number;
}

export function createTfjsEngine(model: SoftMoeModel, opts: TfjsEngineOptions = {}): Engine {
  const owns = opts.ownsModel ?? true;
  const maxValues = opts.maxStackedValues ?? 2 ** 24;
  const exec = opts.executor ?? eagerExecutor(currentBackend());
  const shared: Shared = { model, exec, maxValues };
  return {
    info: model.info,
    description: { kind: 'tfjs', backend: exec.backend, label: opts.note ? `${exec.label} (${opts.note})` : exec.label },
    linearReadout: model.linearReadout !== undefined && model.info.moeLayers.length === 1,
    async begin(images, b, signal) {
      const [h, w, c] = model.info.inputShape;
      if (images.length !== b * h * w * c) {
        throw new SoftMoeError('E_SHAPE', `A batch of ${b} images of ${h}×${w}×${c} has ${b * h * w * c} values, got ${images.length}.`);
      }
      const [state] = await exec.call('stem', (x) => [model.stem(model.preprocess(x as tf.Tensor4D))], [varyingRows(hostTensor(images, [b, h, w, c]))]);
      return new TfjsBatch(shared, state as HostTensor, b, signal);
    },
    async dispose() {
      await exec.dispose();
      if (owns) model.dispose();
    },
  };
}

const f32 = (t: HostTensor): Float32Array => t.data as Float32Array;

/** Host routing arrays [rows, m, n, p] (+ slot outputs [rows, n, p, d]) as the interface's LayerTrace. */
function layerTrace(logits: HostTensor, combine: HostTensor, dispatch: HostTensor, outputs: HostTensor | undefined, d: number): LayerTrace {
  const [b, m, n, p] = combine.shape as [number, number, number, number];
  return { b, m, n, p, d, logits: f32(logits), combine: f32(combine), dispatch: f32(dispatch), ...(outputs ? { slotOutputs: f32(outputs) } : {}) };
}

/** `q` copies of a host tensor stacked along the first axis. */
function tileHost(t: HostTensor, q: number): HostTensor {
  if (q === 1) return t;
  const out = new Float32Array(t.data.length * q);
  for (let i = 0; i < q; i++) out.set(t.data as Float32Array, i * t.data.length);
  return { data: out, shape: [(t.shape[0] as number) * q, ...t.shape.slice(1)] };
}

/**
 * A recombined layer's cache from its routing: C_eff needs the combine weights (no mask, or `zero`) or the router
 * logits (`renorm` under a mask), never both, so one array is handed in for both.
 */
function cacheOf(weights: tf.Tensor, slotOutputs: tf.Tensor): MoeCache {
  return { logits: weights as tf.Tensor4D, combine: weights as tf.Tensor4D, slotOutputs: slotOutputs as tf.Tensor4D };
}

/** Which array `cacheOf` needs of a routing for a drop mode, with or without a mask. */
function weightsOf(r: { logits: HostTensor; combine: HostTensor }, drop: string, masked: boolean): HostTensor {
  return drop === 'renorm' && masked ? r.logits : r.combine;
}

/**
 * A keep mask's kept rows for layer `l` as engine inputs, in the order `takeKept` reads them: each expert's rows
 * (a size of its own, named so one graph serves every size), then where each slot's output is.
 */
function keptInputs(mask: Float32Array, rows: number, n: number, p: number, l: number): HostTensor[] {
  const idx = keptRowIndices(mask, rows, n, p);
  return [
    ...idx.rows.map((r, e) => hostTensor(r, [r.length], 'int32', [`kept${l}_${e}`])),
    hostTensor(idx.where, [rows, n * p], 'int32', ['rows', undefined]),
  ];
}

/** The kept rows of `n` experts from a function's inputs, in `keptInputs` order. */
function takeKept(next: () => tf.Tensor, n: number): KeptRows {
  const rows = Array.from({ length: n }, () => next() as tf.Tensor1D);
  return { rows, where: next() as tf.Tensor2D };
}

class TfjsBatch implements EngineBatch {
  private closed = false;
  private first?: FirstLayer;
  /** Host arrays tiled for q passes, by what and q (a batch's chunks have one or two sizes). */
  private readonly tiled = new Map<string, HostTensor>();

  constructor(
    private readonly s: Shared,
    private readonly state: HostTensor,
    readonly size: number,
    private readonly signal?: AbortSignal,
  ) {}

  private get layers() {
    return this.s.model.info.moeLayers;
  }

  async trace(req: TraceRequest = {}): Promise<BatchTrace> {
    this.check();
    const { model } = this.s;
    const L = this.layers.length;
    const withOutputs = req.slotOutputs === true;
    if (req.contributions) return this.readoutTrace(withOutputs);
    const fn = (h: tf.Tensor) => {
      const outs: tf.Tensor[] = [];
      let state = h;
      for (let l = 0; l < L; l++) {
        // Every layer's full routing with its experts' outputs; the layer is then recombined from it.
        const r = model.route(l, state as tf.Tensor3D, true) as MoeTrace;
        outs.push(r.logits, r.combine, r.dispatch);
        // The first layer's outputs are kept for the batch's masked passes.
        if (l === 0 || withOutputs) outs.push(r.slotOutputs);
        state = model.advance(l, state as tf.Tensor3D, { cached: r });
      }
      return [state, ...outs];
    };
    const got = await this.s.exec.call(`trace${withOutputs ? ' outputs' : ''}`, fn, [varyingRows(this.state)]);
    const layers: LayerTrace[] = [];
    let at = 1;
    for (let l = 0; l < L; l++) {
      const [lg, cb, dp] = got.slice(at, at + 3) as [HostTensor, HostTensor, HostTensor];
      at += 3;
      const so = l === 0 || withOutputs ? (got[at++] as HostTensor) : undefined;
      if (l === 0 && so) this.first ??= { logits: lg, combine: cb, dispatch: dp, slotOutputs: so };
      layers.push(layerTrace(lg, cb, dp, withOutputs ? so : undefined, this.layers[l]?.dim ?? 0));
    }
    return { logits: f32(got[0] as HostTensor), layers };
  }

  /** The fast path's trace (`LinearReadout.trace`): routing, each slot's contribution to the logits, summed outputs. */
  private async readoutTrace(withOutputs: boolean): Promise<BatchTrace> {
    const readout = this.s.model.linearReadout;
    if (!readout || this.layers.length !== 1) {
      throw new SoftMoeError('E_INTERNAL', 'Internal error: contributions asked of a model without a linear readout.');
    }
    const got = await this.s.exec.call(`readout trace${withOutputs ? ' outputs' : ''}`, (h) => {
      const rt = readout.trace(h as tf.Tensor3D, withOutputs);
      const r = rt.routing;
      return [rt.logits, rt.contributions, rt.outputSum, r.logits, r.combine, r.dispatch, ...(r.slotOutputs ? [r.slotOutputs] : [])];
    }, [varyingRows(this.state)]);
    const [logits, contributions, outputSum, lg, cb, dp, so] = got as [HostTensor, HostTensor, HostTensor, HostTensor, HostTensor, HostTensor, HostTensor | undefined];
    if (so) this.first ??= { logits: lg, combine: cb, dispatch: dp, slotOutputs: so };
    const layer = layerTrace(lg, cb, dp, so, this.layers[0]?.dim ?? 0);
    layer.outputSum = f32(outputSum);
    return { logits: f32(logits), layers: [layer], contributions: f32(contributions), readoutBias: readout.bias };
  }

  async predict(): Promise<Int32Array> {
    this.check();
    const { model } = this.s;
    const L = this.layers.length;
    const [logits] = await this.s.exec.call('predict', (h) => {
      let state = h;
      for (let l = 0; l < L; l++) state = model.advance(l, state as tf.Tensor3D, {});
      return [state];
    }, [varyingRows(this.state)]);
    return argmaxRows(f32(logits as HostTensor), this.size, model.info.numClasses);
  }

  async run(passes: MaskedPasses): Promise<Int32Array> {
    this.check();
    const { model } = this.s;
    const L = this.layers.length;
    const b = this.size;
    const first = await this.firstLayer();
    const drop = passes.drop;
    const present = passes.masks.map((mk) => mk !== undefined);
    const w0 = weightsOf(first, drop, present[0] === true);
    const w0Name = w0 === first.logits ? 'logits' : 'combine';
    const key = `run ${drop} masks ${Array.from({ length: L }, (_, l) => (present[l] ? 1 : 0)).join('')}`;
    return this.chunks(passes.count, async (q, firstPass) => {
      const rows = q * b;
      const inputs: HostTensor[] = [this.tile('state', this.state, q), this.tile(w0Name, w0, q), this.tile('outputs', first.slotOutputs, q)];
      passes.masks.forEach((mk, l) => {
        if (!mk) return;
        const { numExperts: n, slotsPerExpert: p } = this.layers[l] as { numExperts: number; slotsPerExpert: number };
        const m = maskRows(mk, firstPass * b, rows, n);
        inputs.push(m);
        if (l > 0) inputs.push(...keptInputs(m.data as Float32Array, rows, n, p, l));
      });
      const fn = (h: tf.Tensor, w: tf.Tensor, so: tf.Tensor, ...rest: tf.Tensor[]) => {
        let k = 0;
        const next = () => rest[k++] as tf.Tensor;
        const mask0 = present[0] ? (next() as tf.Tensor2D) : undefined;
        let state = model.advance(0, h as tf.Tensor3D, { mask: mask0, drop, cached: cacheOf(w, so) });
        for (let l = 1; l < L; l++) {
          if (!present[l]) {
            state = model.advance(l, state as tf.Tensor3D, { drop });
            continue;
          }
          const mask = next() as tf.Tensor2D;
          state = model.advance(l, state as tf.Tensor3D, { mask, drop, kept: takeKept(next, this.layers[l]?.numExperts ?? 0) });
        }
        return [state];
      };
      const [logits] = await this.s.exec.call(key, fn, inputs);
      return f32(logits as HostTensor);
    });
  }

  async runSelecting(passes: SelectingPasses): Promise<Int32Array> {
    this.check();
    const { model, exec } = this.s;
    const L = this.layers.length;
    const b = this.size;
    const first = await this.firstLayer();
    const withOutputs = passes.slotOutputs;
    const drop = passes.drop;
    return this.chunks(passes.count, async (q, firstPass) => {
      const rows = q * b;
      let state: HostTensor = this.tile('state', this.state, q);
      for (let l = 0; l < L; l++) {
        const { numExperts: n, slotsPerExpert: p, dim } = this.layers[l] as { numExperts: number; slotsPerExpert: number; dim: number };
        let routing: HostTensor[];
        if (l === 0) {
          routing = [this.tile('logits', first.logits, q), this.tile('combine', first.combine, q), this.tile('dispatch', first.dispatch, q), this.tile('outputs', first.slotOutputs, q)];
        } else {
          routing = await exec.call(`route l${l}${withOutputs ? ' outputs' : ''}`, (x) => {
            const r: MoeRouting = model.route(l, x as tf.Tensor3D, withOutputs);
            return [r.logits, r.combine, r.dispatch, ...(r.slotOutputs ? [r.slotOutputs] : [])];
          }, [varyingRows(state)]);
        }
        const [lg, cb, dp, so] = routing as [HostTensor, HostTensor, HostTensor, HostTensor | undefined];
        const keep = passes.select(l, layerTrace(lg, cb, dp, withOutputs ? so : undefined, dim), firstPass);
        if (keep.length !== rows * n) {
          throw new SoftMoeError('E_INTERNAL', `Internal error: a selector returned ${keep.length} mask values for ${rows} rows × ${n} experts.`);
        }
        const mask = hostTensor(Float32Array.from(keep), [rows, n], 'float32', ['rows', undefined]);
        if (so) {
          // Recombined from the routing at hand (the cached first layer, or a selection that read the outputs).
          const w = weightsOf({ logits: lg, combine: cb }, drop, true);
          [state] = await exec.call(`select-advance l${l} ${drop} cached`, (x, wl, sol, mk) => {
            return [model.advance(l, x as tf.Tensor3D, { mask: mk as tf.Tensor2D, drop, cached: cacheOf(wl as tf.Tensor, sol as tf.Tensor) })];
          }, [...[state, w, so].map((t) => varyingRows(t)), mask]) as [HostTensor];
        } else {
          [state] = await exec.call(`select-advance l${l} ${drop}`, (x, mk, ...kept) => {
            let k = 0;
            return [model.advance(l, x as tf.Tensor3D, { mask: mk as tf.Tensor2D, drop, kept: takeKept(() => kept[k++] as tf.Tensor, n) })];
          }, [varyingRows(state), mask, ...keptInputs(mask.data as Float32Array, rows, n, p, l)]) as [HostTensor];
        }
      }
      return f32(state);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.first = undefined;
    this.tiled.clear();
  }

  private check(): void {
    if (this.closed) throw new SoftMoeError('E_INTERNAL', 'Internal error: the batch was already closed.');
  }

  /** `t` tiled for q passes (rows varying), kept for the batch. */
  private tile(what: string, t: HostTensor, q: number): HostTensor {
    const key = `${what} ${q}`;
    let got = this.tiled.get(key);
    if (!got) {
      got = varyingRows(tileHost(t, q));
      this.tiled.set(key, got);
    }
    return got;
  }

  /** The first MoE layer's routing and slot outputs on this batch (kept from the trace, else computed once). */
  private async firstLayer(): Promise<FirstLayer> {
    if (this.first) return this.first;
    const { model } = this.s;
    const got = await this.s.exec.call('route l0 outputs', (h) => {
      const r = model.route(0, h as tf.Tensor3D, true) as MoeTrace;
      return [r.logits, r.combine, r.dispatch, r.slotOutputs];
    }, [varyingRows(this.state)]);
    const [logits, combine, dispatch, slotOutputs] = got as [HostTensor, HostTensor, HostTensor, HostTensor];
    this.first = { logits, combine, dispatch, slotOutputs };
    return this.first;
  }

  /** Passes in chunks of whole passes; `compute(q, firstPass)` returns the logits of q passes. */
  private async chunks(count: number, compute: (q: number, firstPass: number) => Promise<Float32Array>): Promise<Int32Array> {
    const b = this.size;
    const C = this.s.model.info.numClasses;
    const [, m, d] = this.state.shape as [number, number, number];
    const layer0 = this.layers[0];
    const slots = (layer0?.numExperts ?? 0) * (layer0?.slotsPerExpert ?? 0);
    const perChunk = Math.max(1, Math.floor(this.s.maxValues / Math.max(1, b * (m * d + slots * (layer0?.dim ?? d)))));
    const out = new Int32Array(count * b);
    // Equal chunks (none smaller than another by more than one pass), so a batch needs few tiled sizes.
    const size = Math.ceil(count / Math.max(1, Math.ceil(count / perChunk)));
    for (let first = 0; first < count; first += size) {
      const q = Math.min(size, count - first);
      const logits = await compute(q, first);
      argmaxRows(logits, q * b, C, out, first * b);
      if (first + q < count) await yieldTurn(this.signal);
    }
    return out;
  }
}

/** Rows [firstRow, firstRow + rows) of a [P·b, n] keep mask as float32 (rows varying). */
function maskRows(mask: Uint8Array, firstRow: number, rows: number, n: number): HostTensor {
  const total = mask.length / Math.max(1, n);
  if (!Number.isInteger(total) || firstRow + rows > total) {
    throw new SoftMoeError('E_INTERNAL', `Internal error: a mask of ${mask.length} values does not cover rows ${firstRow}–${firstRow + rows} of ${n} experts.`);
  }
  return hostTensor(Float32Array.from(mask.subarray(firstRow * n, (firstRow + rows) * n)), [rows, n], 'float32', ['rows', undefined]);
}
