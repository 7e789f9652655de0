/**
 * The contract between the model engine (src/core/engine) and everything that runs models: evaluation,
 * analysis, training, the worker. Architectures (the paper's MNIST model, the Soft MoE ViT) implement
 * `SoftMoeModel`; they all use the one Soft MoE layer in softMoeLayer.ts.
 *
 * Conventions: tensors are tfjs tensors in float32; batch first. Masks are float32 [batch, numExperts] with
 * 1 = keep, 0 = drop, one per MoE layer (index into `info.moeLayers`); a missing mask keeps every expert.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DropMode, LayerInfo, Preprocessing } from '../analysis/schema';
import type { KeptRows } from './keptRows';

export interface MoeTrace {
  /** Router logits [b, m, n, p] (after the layer's normalisation and scale; unmasked). */
  logits: tf.Tensor4D;
  /** Dispatch weights [b, m, n, p]: softmax over the m tokens, per slot. */
  dispatch: tf.Tensor4D;
  /** Combine weights [b, m, n, p]: softmax over all n·p slots, per token; FULL (before any mask). */
  combine: tf.Tensor4D;
  /** Expert outputs per slot [b, n, p, d] (what each expert produced for each of its slots). */
  slotOutputs: tf.Tensor4D;
}

/** A MoE layer's full routing on some rows: a trace whose slot outputs are there only when asked for. */
export interface MoeRouting extends Omit<MoeTrace, 'slotOutputs'> {
  slotOutputs?: tf.Tensor4D;
}

/** Free every tensor of a trace. */
export function disposeTrace(t: MoeTrace | MoeRouting): void {
  tf.dispose([t.logits, t.dispatch, t.combine, ...(t.slotOutputs ? [t.slotOutputs] : [])]);
}

/** What a masked pass of a MoE layer needs of its full routing on the same rows: Y = C_eff·Ỹ (see `AdvanceOptions`). */
export type MoeCache = Pick<MoeTrace, 'logits' | 'combine' | 'slotOutputs'>;

/** How `advance` applies one MoE layer. */
export interface AdvanceOptions {
  /** [rows, n] float32, 1 keep / 0 drop. Missing: keep all. Without `cached`, experts run only on the rows that keep them. */
  mask?: tf.Tensor2D;
  drop?: DropMode;
  /**
   * This layer's full routing and slot outputs on this same state (from `route(layer, state, true)`): the layer then
   * only recombines them under the mask (Y = C_eff·Ỹ) instead of running its router and experts again.
   */
  cached?: MoeCache;
  /** Without `cached`: the mask's kept rows (keptRows.ts), for a mask that cannot be read (a graph's input). */
  kept?: KeptRows;
}

export interface RunOptions {
  /** One mask per MoE layer, [b, n] float32, 1 keep / 0 drop. Missing or undefined: keep all. */
  masks?: Array<tf.Tensor2D | undefined>;
  /** How dropped experts are removed (see docs/soft-moe-layouts.md, "Dropping experts"). Default 'zero'. */
  drop?: DropMode;
  /** Also return a trace for every MoE layer. Default false. */
  trace?: boolean;
  /**
   * Per-input expert selection INSIDE the pass (analysis of models with several MoE layers, where each layer picks
   * its own subset from its own combine weights, computed on the already-masked upstream, as in the paper). When
   * set, the engine calls it for every MoE layer in order, with that layer's full (unmasked) routing and slot outputs
   * on this pass's input, and uses the returned [b, n] mask for the layer instead of `masks[layerIndex]`
   * (`undefined`: keep `masks[layerIndex]`). The engine owns and disposes the tensors it passes and the mask returned.
   */
  selectMask?: (layerIndex: number, routing: MoeRouting) => tf.Tensor2D | undefined;
  /**
   * With `selectMask`: whether the routing handed to it carries every expert's slot outputs. Default true. False lets
   * the masked layer run each expert only on the rows that keep it (a selector that reads only routing weights).
   */
  selectOutputs?: boolean;
  /**
   * The first MoE layer's full routing and slot outputs on these same rows (cached by an engine once per batch):
   * every pass then only recombines them under its mask, and the first layer's router and experts do not run.
   */
  first?: MoeTrace;
}

export interface RunOutput {
  /** [b, numClasses] */
  logits: tf.Tensor2D;
  /** One per MoE layer when `trace` was set, else empty. Caller disposes. */
  traces: MoeTrace[];
}

/** One batch's full trace with the readout split per slot: all the analysis fast path asks of the model. */
export interface ReadoutTrace {
  /** The MoE layer's full routing (with every slot's output only when asked). */
  routing: MoeRouting;
  /**
   * [b, n, p, m, C]: the readout applied to slot (e,s)'s expert output as if it sat at token t, so that
   * logits = bias + Σ_{t,e,s} C[t,(e,s)] · contributions[(e,s), t, :].
   */
  contributions: tf.Tensor;
  /** [n, d]: every expert's outputs summed over the rows and its slots (the routing statistics' mean output). */
  outputSum: tf.Tensor2D;
  /** [b, C]: the model's logits, computed independently of `contributions` (the analysis checks the two agree). */
  logits: tf.Tensor2D;
}

/** The linear part after a model's one MoE layer, as the analysis fast path uses it. */
export interface LinearReadout {
  /** The readout's bias [C] (zeros when it has none). */
  readonly bias: Float32Array;
  /** The trace of tokens entering the MoE layer (`stem`'s output). */
  trace(tokens: tf.Tensor3D, slotOutputs: boolean): ReadoutTrace;
}

export interface TokenGrid {
  rows: number;
  cols: number;
  /** A class token precedes the patch tokens (ViT). */
  hasClassToken: boolean;
}

export interface ModelInfo {
  /** 'custom': a model built by the user's own code (softmoe.json's model.factory, the PyTorch engine). */
  architecture: 'mnist-softmoe' | 'vit-softmoe' | 'custom';
  moeLayers: LayerInfo[];
  numClasses: number;
  /** What the model takes from a dataset: [height, width, channels], values as ToTensor gives (0–1). */
  inputShape: [number, number, number];
  /** Normalisation applied inside `preprocess` (per channel). */
  mean: number[];
  std: number[];
  tokenGrid: TokenGrid;
  parameterCount: number;
  /**
   * `mean`, `std` and the input size above, plus the resize a dataset gets, each with where it came from (a sidecar,
   * the checkpoint, the shapes, or a documented default). Optional so that other engines may leave it out.
   */
  preprocessing?: Preprocessing;
}

export interface SoftMoeModel {
  readonly info: ModelInfo;
  /** Dataset images [b, H, W, C] (0–1) → model input (normalised, laid out as the model wants). */
  preprocess(images: tf.Tensor4D): tf.Tensor;
  /** Whole forward pass on preprocessed input. */
  forward(x: tf.Tensor, opts?: RunOptions): RunOutput;
  /**
   * Everything before the first MoE layer's branch: the state `fromFirstMoe` resumes from, [b, m, d]. For the
   * MNIST model, the tokens entering the layer; for the ViT, the residual stream h of the first MoE block after its
   * attention (the layer itself sees norm2(h); see `VitModel.moeInput`). Analysis caches it per batch.
   */
  stem(x: tf.Tensor): tf.Tensor3D;
  /** From the tokens entering the first MoE layer to the logits. `forward(x) ≡ fromFirstMoe(stem(x))` (`runStages`). */
  fromFirstMoe(tokens: tf.Tensor3D, opts?: RunOptions): RunOutput;
  /**
   * The forward from the first MoE layer, cut at every MoE layer (`runStages` chains them). The state entering layer
   * 0 is `stem(x)`; `route(l, state)` is layer l's full routing on it (with every expert's slot outputs when asked);
   * `advance(l, state)` applies layer l (masked, or recombined from `cached`) and runs on to the state entering
   * layer l + 1 — or to the logits [rows, C] after the last layer. States are [rows, tokens, width].
   */
  route(layer: number, state: tf.Tensor3D, slotOutputs: boolean): MoeRouting;
  advance(layer: number, state: tf.Tensor3D, opts?: AdvanceOptions): tf.Tensor;
  /**
   * Present when the model has ONE MoE layer and everything after it is linear:
   * logits = flatten(Y) · weightᵀ + bias, with Y [b, m, d] the layer output flattened token-major.
   * Analysis uses it to precompute each expert's contribution to the logits once per input.
   */
  readonly linearReadout?: LinearReadout;
  dispose(): void;
}

export type { DropMode, LayerInfo, Preprocessing };

/**
 * `fromFirstMoe` from a model's stages. Each MoE layer in turn is masked by `masks[l]` or by what `selectMask` picks
 * from the layer's full routing on this pass's input. A layer whose full routing with slot outputs is at hand (the
 * engine's cached `first`, a trace, or a selection that read the outputs) is recombined under its mask; any other
 * masked layer runs each expert only on the rows that keep it.
 */
export function runStages(model: SoftMoeModel, h: tf.Tensor3D, opts: RunOptions = {}): RunOutput {
  const L = model.info.moeLayers.length;
  const drop = opts.drop ?? 'zero';
  const traces: MoeTrace[] = [];
  const logits = tf.tidy(() => {
    let state: tf.Tensor = h;
    for (let l = 0; l < L; l++) {
      const x = state as tf.Tensor3D;
      let mask = opts.masks?.[l];
      const given = l === 0 ? opts.first : undefined;
      if (!given && !opts.trace && !opts.selectMask) {
        state = model.advance(l, x, { mask, drop });
        continue;
      }
      const withOutputs = opts.trace === true || (opts.selectOutputs ?? true);
      const routing: MoeRouting = given ?? model.route(l, x, withOutputs);
      if (opts.selectMask) mask = opts.selectMask(l, routing) ?? mask;
      const full = routing.slotOutputs ? (routing as MoeTrace) : undefined;
      state = model.advance(l, x, { mask, drop, ...(full ? { cached: full } : {}) });
      if (opts.trace && full) traces.push({ logits: tf.keep(full.logits), dispatch: tf.keep(full.dispatch), combine: tf.keep(full.combine), slotOutputs: tf.keep(full.slotOutputs) });
    }
    return state as tf.Tensor2D;
  });
  return { logits, traces };
}
