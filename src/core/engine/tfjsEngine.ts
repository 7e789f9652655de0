/**
 * The built-in engine: a `SoftMoeModel` (the paper's MNIST model, the Soft MoE ViT) computed by TensorFlow.js in
 * this process, behind the `Engine` interface (engine.ts).
 *
 * A batch keeps one tensor: the activations entering the first MoE layer (`model.stem`), so every trace and masked
 * pass resumes from there. Masked passes are stacked: a chunk of passes is one forward over (passes × b) rows — the
 * cached activations tiled, pass-major — so many small passes become a few large matrix products.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError, yieldTurn } from '../errors';
import { argmaxRows } from './argmax';
import { currentBackend } from './backendName';
import type { BatchTrace, Engine, EngineBatch, LayerTrace, MaskedPasses, SelectingPasses, TraceRequest } from './engine';
import { disposeTrace, type MoeTrace, type RunOptions, type SoftMoeModel } from './model';

export interface TfjsEngineOptions {
  /** Dispose the model with the engine. Default true. */
  ownsModel?: boolean;
  /**
   * Upper bound on (rows × tokens × width) of one stacked forward, in float32 values. Default 2²⁴ (64 MiB of
   * activations per tensor), never fewer rows than one pass.
   */
  maxStackedValues?: number;
}

export function createTfjsEngine(model: SoftMoeModel, opts: TfjsEngineOptions = {}): Engine {
  const owns = opts.ownsModel ?? true;
  const maxValues = opts.maxStackedValues ?? 2 ** 24;
  const readout = model.linearReadout;
  let projection: tf.Tensor2D | undefined;
  let bias: Float32Array | undefined;
  const backend = currentBackend();
  return {
    info: model.info,
    description: { kind: 'tfjs', backend, label: `tfjs ${backend}` },
    linearReadout: readout !== undefined && model.info.moeLayers.length === 1,
    async begin(images, b, signal) {
      const [h, w, c] = model.info.inputShape;
      if (images.length !== b * h * w * c) {
        throw new SoftMoeError('E_SHAPE', `A batch of ${b} images of ${h}×${w}×${c} has ${b * h * w * c} values, got ${images.length}.`);
      }
      const tokens = tf.tidy(() => model.stem(model.preprocess(tf.tensor4d(images, [b, h, w, c]))));
      const projectionFor = (m: number, d: number): tf.Tensor2D => {
        if (!readout) throw new SoftMoeError('E_INTERNAL', 'Internal error: contributions asked of a model without a linear readout.');
        projection ??= readoutProjection(readout.weight, m, d);
        bias ??= readout.bias ? Float32Array.from(readout.bias.dataSync()) : new Float32Array(readout.weight.shape[0]);
        return projection;
      };
      return new TfjsBatch(model, tokens, b, maxValues, projectionFor, () => bias as Float32Array, signal);
    },
    async dispose() {
      projection?.dispose();
      projection = undefined;
      if (owns) model.dispose();
    },
  };
}

/** Readout weight [C, m·d] rearranged once to [d, m·C], so one 2D matMul projects every slot for every token. */
export function readoutProjection(weight: tf.Tensor2D, m: number, d: number): tf.Tensor2D {
  const c = weight.shape[0];
  return tf.tidy(() => tf.reshape(tf.transpose(tf.reshape(weight, [c, m, d]), [2, 1, 0]), [d, m * c]) as tf.Tensor2D);
}

/** A MoE trace's tensors as host arrays (the engine interface's LayerTrace). */
export function traceToHost(t: MoeTrace, withOutputs: boolean): LayerTrace {
  const [b, m, n, p] = t.combine.shape;
  return {
    b, m, n, p,
    d: t.slotOutputs.shape[3],
    logits: t.logits.dataSync() as Float32Array,
    combine: t.combine.dataSync() as Float32Array,
    dispatch: t.dispatch.dataSync() as Float32Array,
    ...(withOutputs ? { slotOutputs: t.slotOutputs.dataSync() as Float32Array } : {}),
  };
}

class TfjsBatch implements EngineBatch {
  private closed = false;

  constructor(
    private readonly model: SoftMoeModel,
    private readonly tokens: tf.Tensor3D,
    readonly size: number,
    private readonly maxValues: number,
    private readonly projectionFor: (m: number, d: number) => tf.Tensor2D,
    private readonly biasOf: () => Float32Array,
    private readonly signal?: AbortSignal,
  ) {}

  async trace(req: TraceRequest = {}): Promise<BatchTrace> {
    this.check();
    const out = this.model.fromFirstMoe(this.tokens, { trace: true });
    try {
      const logits = out.logits.dataSync() as Float32Array;
      const layers = out.traces.map((t) => traceToHost(t, req.slotOutputs === true));
      if (!req.contributions) return { logits, layers };
      const t = out.traces[0] as MoeTrace;
      const [b, n, p, d] = t.slotOutputs.shape;
      const m = t.combine.shape[1];
      const projection = this.projectionFor(m, d); // created (once) outside any tidy, so it outlives this call
      const proj = tf.tidy(() => tf.matMul(tf.reshape(t.slotOutputs, [b * n * p, d]), projection));
      const contributions = proj.dataSync() as Float32Array;
      proj.dispose();
      return { logits, layers, contributions, readoutBias: this.biasOf() };
    } finally {
      out.logits.dispose();
      out.traces.forEach(disposeTrace);
    }
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
      const selectMask = (layer: number, routing: MoeTrace): tf.Tensor2D => {
        const host = traceToHost(routing, passes.slotOutputs);
        const keep = passes.select(layer, host, first);
        if (keep.length !== host.b * host.n) {
          throw new SoftMoeError('E_INTERNAL', `Internal error: a selector returned ${keep.length} mask values for ${host.b} rows × ${host.n} experts.`);
        }
        const t = tf.tensor2d(Float32Array.from(keep), [host.b, host.n]);
        made.push(t);
        return t;
      };
      return { opts: { drop: passes.drop, selectMask }, dispose: () => tf.dispose(made.filter((t) => !t.isDisposed)) };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tokens.dispose();
  }

  private check(): void {
    if (this.closed) throw new SoftMoeError('E_INTERNAL', 'Internal error: the batch was already closed.');
  }

  /** Passes in chunks of whole passes, each chunk one forward over the cached activations tiled (pass-major). */
  private async stacked(
    count: number,
    optionsFor: (rows: number, firstPass: number) => { opts: RunOptions; dispose: () => void },
  ): Promise<Int32Array> {
    this.check();
    const b = this.size;
    const [, m, d] = this.tokens.shape;
    const perChunk = Math.max(1, Math.floor(this.maxValues / Math.max(1, b * m * d)));
    const out = new Int32Array(count * b);
    for (let first = 0; first < count; first += perChunk) {
      const q = Math.min(perChunk, count - first);
      const rows = q * b;
      const { opts, dispose } = optionsFor(rows, first);
      const input = q === 1 ? this.tokens : tf.tidy(() => tf.tile(this.tokens, [q, 1, 1]) as tf.Tensor3D);
      try {
        this.predictions(input, opts, out, first * b);
      } finally {
        if (input !== this.tokens) input.dispose();
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
