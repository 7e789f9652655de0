/**
 * The built-in engine: a `SoftMoeModel` (the paper's MNIST model, the Soft MoE ViT) computed by TensorFlow.js in
 * this process, behind the `Engine` interface (engine.ts).
 *
 * A batch keeps the activations entering the first MoE layer (`model.stem`), so every trace and masked pass resumes
 * from there, and — once traced or first asked for a masked pass — the first MoE layer's full routing and every
 * expert's slot outputs: its input is the same for every mask, so each pass only recombines them (Y = C_eff·Ỹ) and
 * the first layer's router and experts run once per batch. Later layers run each expert only on the rows that keep
 * it. Masked passes are stacked: a chunk of passes is one forward over (passes × b) rows — the cached tensors
 * tiled, pass-major — so many small passes become a few large matrix products.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError, yieldTurn } from '../errors';
import { argmaxRows } from './argmax';
import { currentBackend } from './backendName';
import type { BatchTrace, Engine, EngineBatch, LayerTrace, MaskedPasses, SelectingPasses, TraceRequest } from './engine';
import { disposeTrace, type MoeRouting, type MoeTrace, type RunOptions, type SoftMoeModel } from './model';

export interface TfjsEngineOptions {
  /** Dispose the model with the engine. Default true. */
  ownsModel?: boolean;
  /**
   * Upper bound on (rows × (tokens + first-layer slots) × width) of one stacked forward, in float32 values: the tiled
   * state and the first layer's tiled slot outputs. Default 2²⁴ (64 MiB), never fewer rows than one pass.
   */
  maxStackedValues?: number;
}

export function createTfjsEngine(model: SoftMoeModel, opts: TfjsEngineOptions = {}): Engine {
  const owns = opts.ownsModel ?? true;
  const maxValues = opts.maxStackedValues ?? 2 ** 24;
  const backend = currentBackend();
  return {
    info: model.info,
    description: { kind: 'tfjs', backend, label: `tfjs ${backend}` },
    linearReadout: model.linearReadout !== undefined && model.info.moeLayers.length === 1,
    async begin(images, b, signal) {
      const [h, w, c] = model.info.inputShape;
      if (images.length !== b * h * w * c) {
        throw new SoftMoeError('E_SHAPE', `A batch of ${b} images of ${h}×${w}×${c} has ${b * h * w * c} values, got ${images.length}.`);
      }
      const tokens = tf.tidy(() => model.stem(model.preprocess(tf.tensor4d(images, [b, h, w, c]))));
      return new TfjsBatch(model, tokens, b, maxValues, signal);
    },
    async dispose() {
      if (owns) model.dispose();
    },
  };
}

/** A MoE layer's routing as host arrays (the engine interface's LayerTrace); `d` is the layer's width. */
export function traceToHost(t: MoeRouting, withOutputs: boolean, d: number): LayerTrace {
  const [b, m, n, p] = t.combine.shape;
  if (withOutputs && !t.slotOutputs) throw new SoftMoeError('E_INTERNAL', 'Internal error: slot outputs asked of a routing computed without them.');
  return {
    b, m, n, p, d,
    logits: t.logits.dataSync() as Float32Array,
    combine: t.combine.dataSync() as Float32Array,
    dispatch: t.dispatch.dataSync() as Float32Array,
    ...(withOutputs && t.slotOutputs ? { slotOutputs: t.slotOutputs.dataSync() as Float32Array } : {}),
  };
}

class TfjsBatch implements EngineBatch {
  private closed = false;
  /** The first MoE layer's full routing and slot outputs on the batch's rows (from the trace, or computed once). */
  private first?: MoeTrace;
  /** Tokens and `first` tiled for a chunk of q passes, by q (a batch's chunks have one or two sizes). */
  private readonly tiled = new Map<number, { tokens: tf.Tensor3D; first: MoeTrace }>();

  constructor(
    private readonly model: SoftMoeModel,
    private readonly tokens: tf.Tensor3D,
    readonly size: number,
    private readonly maxValues: number,
    private readonly signal?: AbortSignal,
  ) {}

  private dim(layer: number): number {
    return this.model.info.moeLayers[layer]?.dim ?? 0;
  }

  async trace(req: TraceRequest = {}): Promise<BatchTrace> {
    this.check();
    if (req.contributions) return this.readoutTrace(req.slotOutputs === true);
    const out = this.model.fromFirstMoe(this.tokens, { trace: true });
    try {
      const logits = out.logits.dataSync() as Float32Array;
      const layers = out.traces.map((t, l) => traceToHost(t, req.slotOutputs === true, this.dim(l)));
      return { logits, layers };
    } finally {
      out.logits.dispose();
      out.traces.forEach((t, l) => this.keepFirst(t, l));
    }
  }

  /** The fast path's trace: routing, each slot's contribution to the logits and the summed expert outputs. */
  private readoutTrace(withOutputs: boolean): BatchTrace {
    const readout = this.model.linearReadout;
    if (!readout || this.model.info.moeLayers.length !== 1) {
      throw new SoftMoeError('E_INTERNAL', 'Internal error: contributions asked of a model without a linear readout.');
    }
    const rt = readout.trace(this.tokens, withOutputs);
    try {
      const layer = traceToHost(rt.routing, withOutputs, this.dim(0));
      layer.outputSum = rt.outputSum.dataSync() as Float32Array;
      return { logits: rt.logits.dataSync() as Float32Array, layers: [layer], contributions: rt.contributions.dataSync() as Float32Array, readoutBias: readout.bias };
    } finally {
      tf.dispose([rt.contributions, rt.outputSum, rt.logits]);
      this.keepFirst(rt.routing, 0);
    }
  }

  /** Keeps layer 0's full routing with slot outputs for the batch's masked passes (unless one is kept); frees the rest. */
  private keepFirst(t: MoeRouting, layer: number): void {
    if (layer === 0 && !this.first && t.slotOutputs) this.first = t as MoeTrace;
    else disposeTrace(t);
  }

  async predict(): Promise<Int32Array> {
    this.check();
    return this.predictions(this.tokens, {});
  }

  async run(passes: MaskedPasses): Promise<Int32Array> {
    return this.stacked(passes.count, (rows, first) => {
      const layers = this.model.info.moeLayers;
      const masks = passes.masks.map((m, l) => (m ? maskTensor(m, first * this.size, rows, layers[l]?.numExperts ?? 0) : undefined));
      return { opts: { masks, drop: passes.drop }, dispose: () => tf.dispose(masks.filter((m): m is tf.Tensor2D => m !== undefined)) };
    });
  }

  async runSelecting(passes: SelectingPasses): Promise<Int32Array> {
    return this.stacked(passes.count, (_rows, first) => {
      const made: tf.Tensor2D[] = [];
      const selectMask = (layer: number, routing: MoeRouting): tf.Tensor2D => {
        const host = traceToHost(routing, passes.slotOutputs, this.dim(layer));
        const keep = passes.select(layer, host, first);
        if (keep.length !== host.b * host.n) {
          throw new SoftMoeError('E_INTERNAL', `Internal error: a selector returned ${keep.length} mask values for ${host.b} rows × ${host.n} experts.`);
        }
        const t = tf.tensor2d(Float32Array.from(keep), [host.b, host.n]);
        made.push(t);
        return t;
      };
      return {
        opts: { drop: passes.drop, selectMask, selectOutputs: passes.slotOutputs },
        dispose: () => tf.dispose(made.filter((t) => !t.isDisposed)),
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tokens.dispose();
    if (this.first) disposeTrace(this.first);
    for (const t of this.tiled.values()) {
      t.tokens.dispose();
      disposeTrace(t.first);
    }
    this.tiled.clear();
  }

  private check(): void {
    if (this.closed) throw new SoftMoeError('E_INTERNAL', 'Internal error: the batch was already closed.');
  }

  /** Tokens and the first layer's routing for q passes (tiled, pass-major), kept for the batch. */
  private tiledFor(q: number): { tokens: tf.Tensor3D; first: MoeTrace } {
    this.first ??= this.model.route(0, this.tokens, true) as MoeTrace;
    const first = this.first;
    if (q === 1) return { tokens: this.tokens, first };
    let t = this.tiled.get(q);
    if (!t) {
      t = tf.tidy(() => ({
        tokens: tf.tile(this.tokens, [q, 1, 1]) as tf.Tensor3D,
        first: {
          logits: tf.tile(first.logits, [q, 1, 1, 1]) as tf.Tensor4D,
          combine: tf.tile(first.combine, [q, 1, 1, 1]) as tf.Tensor4D,
          dispatch: tf.tile(first.dispatch, [q, 1, 1, 1]) as tf.Tensor4D,
          slotOutputs: tf.tile(first.slotOutputs, [q, 1, 1, 1]) as tf.Tensor4D,
        },
      }));
      this.tiled.set(q, t);
    }
    return t;
  }

  /** Passes in chunks of whole passes, each chunk one forward over the cached tensors tiled (pass-major). */
  private async stacked(
    count: number,
    optionsFor: (rows: number, firstPass: number) => { opts: RunOptions; dispose: () => void },
  ): Promise<Int32Array> {
    this.check();
    const b = this.size;
    const [, m, d] = this.tokens.shape;
    const layer0 = this.model.info.moeLayers[0];
    const slots = (layer0?.numExperts ?? 0) * (layer0?.slotsPerExpert ?? 0);
    const perChunk = Math.max(1, Math.floor(this.maxValues / Math.max(1, b * (m * d + slots * (layer0?.dim ?? d)))));
    const out = new Int32Array(count * b);
    for (let first = 0; first < count; first += perChunk) {
      const q = Math.min(perChunk, count - first);
      const rows = q * b;
      const { opts, dispose } = optionsFor(rows, first);
      const cached = this.tiledFor(q);
      try {
        this.predictions(cached.tokens, { ...opts, first: cached.first }, out, first * b);
      } finally {
        dispose();
      }
      if (first + q < count) await yieldTurn(this.signal);
    }
    return out;
  }

  private predictions(input: tf.Tensor3D, opts: RunOptions, out?: Int32Array, offset = 0): Int32Array {
    const res = this.model.fromFirstMoe(input, opts);
    try {
      const rows = res.logits.shape[0];
      const c = res.logits.shape[1];
      return argmaxRows(res.logits.dataSync(), rows, c, out ?? new Int32Array(rows), offset);
    } finally {
      res.logits.dispose();
      res.traces.forEach(disposeTrace);
    }
  }
}

/** Rows [firstRow, firstRow + rows) of a [P·b, n] keep mask as a float32 tensor. */
function maskTensor(mask: Uint8Array, firstRow: number, rows: number, n: number): tf.Tensor2D {
  const total = mask.length / Math.max(1, n);
  if (!Number.isInteger(total) || firstRow + rows > total) {
    throw new SoftMoeError('E_INTERNAL', `Internal error: a mask of ${mask.length} values does not cover rows ${firstRow}–${firstRow + rows} of ${n} experts.`);
  }
  return tf.tensor2d(Float32Array.from(mask.subarray(firstRow * n, (firstRow + rows) * n)), [rows, n]);
}
