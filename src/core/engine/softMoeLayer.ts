/**
 * THE Soft MoE layer (Puigcerver et al. 2024, Algorithm 1), written once for every variant of
 * docs/soft-moe-layouts.md. Evaluation, analysis and training all call it; `layerFromCheckpoint.ts` builds it from
 * a detected layer for every checkpoint layout.
 *
 *   logits = norm(X) · scale·norm(Φ)                       [b·m, n·p]   one 2D matMul
 *            (dynamic slots: Φ is computed per input from the means of runs of n tokens)
 *   D = softmax over tokens, C = softmax over all n·p slots
 *   X̃ = Dᵀ · Xe   (Xe: normalised or raw tokens)            [b, n·p, d]
 *   Ỹ_e = f_e(X̃_e)  each expert ONCE on its b·p slots      2D matMuls per expert
 *   Y = C_eff · Ỹ
 *
 * Masks and drop modes (the paper's code): `zero` runs the kept experts and leaves C alone, so dropped experts
 * contribute nothing and the kept weights sum to < 1 (C_eff = C ⊙ mask). `renorm` sets dropped experts' logits to
 * −∞ before both softmaxes: D of kept slots is unchanged (the softmax is over tokens, per slot) and C is
 * renormalised over kept slots (C_eff = softmax(logits − ∞·(1−mask)) ⊙ mask). Either way a dropped expert's
 * weight is exactly 0, so a masked `apply` runs each expert only on the inputs that keep it. `routing` (the trace)
 * runs every expert on every slot once, and `recombine` gives any mask's output from it without running the router
 * or the experts again.
 *
 * Performance (wasm): only un-batched, un-transposed 2D matMuls are fast (xnnpack); batched or transposed ones run
 * ~10× slower, so weights are stored input-major ([in, out]) and tokens are folded into rows.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DropMode } from '../analysis/schema';
import { SoftMoeError } from '../errors';
import type { ExpertActivation, TokenNorm } from '../model/detectedLayer';
import { keptRowIndices, type KeptRows } from './keptRows';
import type { MoeCache, MoeRouting, ReadoutTrace } from './model';
import { fusedGelu, isGraphValue } from './onnx/fusedOps';
import { normalizeAlong } from './tokenNorm';

export type { ExpertActivation, KeptRows };

/**
 * Everything that decides the layer's math, as plain JSON-safe data (docs/soft-moe-layouts.md, "The layer
 * config"): sizes plus the variant. `layerConfig` in layerFromCheckpoint.ts makes it from a detected layer.
 */
export interface SoftMoeLayerConfig {
  /** Name prefix in the checkpoint ('' for the paper's MNIST model). */
  name: string;
  layout: string;
  dim: number;
  numExperts: number;
  /** Slots per expert p (dynamic slots: ⌈m/n⌉ for the m tokens this layer takes). */
  slotsPerExpert: number;
  /** Hidden width h of each expert (its input width d for one-linear experts, activation 'none'). */
  expertHidden: number;
  norm: TokenNorm;
  /** Experts receive the normalised tokens (paper, bwconrad, lucidrains) or the raw ones (vmoe, no-norm layouts). */
  expertsSeeNormalized: boolean;
  activation: ExpertActivation;
  /** 'static' (default): learned Φ; 'dynamic': slot embeddings from the input (lucidrains DynamicSlotsSoftMoE). */
  slots?: 'static' | 'dynamic';
}

export interface ExpertWeights {
  /** [d, h] (input-major: the TRANSPOSE of a PyTorch Linear weight). Absent for one-linear experts ('none'). */
  w1?: tf.Tensor2D;
  b1?: tf.Tensor1D;
  /** GEGLU only: the gate half of the first map, [d, h] (w1 is the value half). */
  w1Gate?: tf.Tensor2D;
  b1Gate?: tf.Tensor1D;
  /** [h, d] (for one-linear experts: the expert's map, [d, d]) */
  w2: tf.Tensor2D;
  b2?: tf.Tensor1D;
}

export interface SoftMoeLayerWeights {
  /** Φ [d, n·p]; column e·p + s is slot s of expert e. Static slots only. */
  phi?: tf.Tensor2D;
  /**
   * Dynamic slots only: the projection from a segment mean to the n slot embeddings, input-major [d, n·d]
   * (column e·d + j is feature j of expert e's slot).
   */
  slotProjection?: tf.Tensor2D;
  /** Learnable scalar multiplying the normalised Φ (shape [] or [1]). Absent: 1. */
  scale?: tf.Tensor;
  /** Gains [d] (and LayerNorm biases) of the norms on tokens and on slot embeddings ('rms', 'layernorm'). */
  tokenGamma?: tf.Tensor1D;
  tokenBeta?: tf.Tensor1D;
  slotGamma?: tf.Tensor1D;
  slotBeta?: tf.Tensor1D;
  experts: ExpertWeights[];
}

export interface LayerRunOptions {
  /** [b, n] float32, 1 keep / 0 drop. Missing: keep all. */
  mask?: tf.Tensor2D;
  drop?: DropMode;
  /**
   * The mask's kept rows (`keptRowIndices`), given when the mask cannot be read here (a graph being recorded takes
   * them as inputs); otherwise they are read from the mask.
   */
  kept?: KeptRows;
}

export interface LayerOutput {
  /** [b, m, d] */
  y: tf.Tensor3D;
}

/** Intermediate results shared by the full path and the folded linear-readout path. */
interface Routed {
  b: number;
  m: number;
  logits: tf.Tensor3D;
  combine: tf.Tensor3D;
  combineEff: tf.Tensor3D;
  /** Dispatch transposed, [b, n·p, m]. */
  dispatchT: tf.Tensor3D;
  slots: tf.Tensor3D;
}

/** Every tensor of a layer's weights (for disposal and parameter counts). */
export function layerWeightTensors(w: SoftMoeLayerWeights): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const t of [w.phi, w.slotProjection, w.scale, w.tokenGamma, w.tokenBeta, w.slotGamma, w.slotBeta]) if (t) out.push(t);
  for (const e of w.experts) for (const t of [e.w1, e.b1, e.w1Gate, e.b1Gate, e.w2, e.b2]) if (t) out.push(t);
  return out;
}

export class SoftMoeLayer {
  readonly config: SoftMoeLayerConfig;
  readonly weights: SoftMoeLayerWeights;

  constructor(config: SoftMoeLayerConfig, weights: SoftMoeLayerWeights) {
    const { dim: d, numExperts: n, slotsPerExpert: p, expertHidden: h, activation } = config;
    const where = config.name === '' ? 'the Soft MoE layer' : `Soft MoE layer '${config.name}'`;
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new SoftMoeError('E_SHAPE', `${where}: ${what}.`);
    };
    const shape = (t: tf.Tensor | undefined) => (t ? `[${t.shape.join(', ')}]` : 'missing');
    if ((config.slots ?? 'static') === 'dynamic') {
      const sp = weights.slotProjection;
      expect(sp !== undefined && sp.rank === 2 && sp.shape[0] === d && sp.shape[1] === n * d, `slot projection is ${shape(sp)}, expected [${d}, ${n * d}]`);
      expect(config.norm === 'rms' && weights.slotGamma !== undefined, 'dynamic slots need RMS-normed slot embeddings with a gain');
    } else {
      const phi = weights.phi;
      expect(phi !== undefined && phi.rank === 2 && phi.shape[0] === d && phi.shape[1] === n * p, `router is ${shape(phi)}, expected [${d}, ${n * p}]`);
    }
    expect(p >= 1, `${p} slots per expert`);
    expect(weights.experts.length === n, `${weights.experts.length} experts, expected ${n}`);
    expect(activation !== 'none' || h === d, `one-linear experts take their input as hidden, so h = ${h} must equal d = ${d}`);
    weights.experts.forEach((e, i) => {
      if (activation !== 'none') {
        expect(e.w1 !== undefined && e.w1.shape[0] === d && e.w1.shape[1] === h, `expert ${i} fc1 is ${shape(e.w1)} (input-major), expected [${d}, ${h}]`);
      }
      if (activation === 'geglu') {
        expect(e.w1Gate !== undefined && e.w1Gate.shape[0] === d && e.w1Gate.shape[1] === h, `expert ${i} fc1 gate half is ${shape(e.w1Gate)} (input-major), expected [${d}, ${h}]`);
        expect(!e.b1Gate || e.b1Gate.size === h, `expert ${i} fc1 gate bias has ${e.b1Gate?.size} values, expected ${h}`);
      }
      expect(e.w2.shape[0] === h && e.w2.shape[1] === d, `expert ${i} fc2 is [${e.w2.shape.join(', ')}] (input-major), expected [${h}, ${d}]`);
      expect(!e.b1 || e.b1.size === h, `expert ${i} fc1 bias has ${e.b1?.size} values, expected ${h}`);
      expect(!e.b2 || e.b2.size === d, `expert ${i} fc2 bias has ${e.b2?.size} values, expected ${d}`);
    });
    for (const [g, what] of [[weights.tokenGamma, 'token norm gain'], [weights.tokenBeta, 'token norm bias'], [weights.slotGamma, 'slot norm gain'], [weights.slotBeta, 'slot norm bias']] as const) {
      expect(!g || g.size === d, `${what} has ${g?.size} values, expected ${d}`);
    }
    this.config = config;
    this.weights = weights;
  }

  /** Elements of every weight tensor. */
  get parameterCount(): number {
    return layerWeightTensors(this.weights).reduce((s, t) => s + t.size, 0);
  }

  private get dynamic(): boolean {
    return (this.config.slots ?? 'static') === 'dynamic';
  }

  /** Normalised (and scaled) router [d, n·p]. Static slots only. */
  routerMatrix(): tf.Tensor2D {
    const { phi, scale, slotGamma, slotBeta } = this.weights;
    if (!phi) throw new SoftMoeError('E_INTERNAL', `Soft MoE layer '${this.config.name}' has dynamic slots: its router depends on the input.`);
    return tf.tidy(() => {
      let r = normalizeAlong(phi, 0, this.config.norm) as tf.Tensor2D;
      if (slotGamma) r = tf.mul(r, tf.reshape(slotGamma, [-1, 1]));
      if (slotBeta) r = tf.add(r, tf.reshape(slotBeta, [-1, 1]));
      if (scale) r = tf.mul(r, tf.reshape(scale, []));
      return r;
    });
  }

  /**
   * Dynamic slots (lucidrains DynamicSlotsSoftMoE) from the normalised tokens xn [b, m, d]: pad to p·n tokens with
   * zeros, mean of each run of n consecutive real tokens (the last run may be shorter) → [b, p, d], project to n
   * slot embeddings each, RMS-norm them with their gain. Returns the router per input [b, n·p, d], slot e·p + s.
   */
  private dynamicRouter(xn: tf.Tensor3D): tf.Tensor3D {
    const [b, m, d] = xn.shape;
    const { numExperts: n, slotsPerExpert: p } = this.config;
    const padded = p * n;
    const xp = padded > m ? tf.pad(xn, [[0, 0], [0, padded - m], [0, 0]]) : xn;
    const sums = tf.sum(tf.reshape(xp, [b, p, n, d]), 2); // [b, p, d]
    const counts = Array.from({ length: p }, (_, s) => Math.min(n, m - s * n));
    const means = tf.div(sums, tf.tensor3d(counts, [1, p, 1]));
    const proj = tf.matMul(tf.reshape(means, [b * p, d]), this.weights.slotProjection as tf.Tensor2D); // [b·p, n·d]
    const slots = tf.reshape(tf.transpose(tf.reshape(proj, [b, p, n, d]), [0, 2, 1, 3]), [b, n * p, d]);
    return tf.mul(normalizeAlong(slots, 2, 'rms'), this.weights.slotGamma as tf.Tensor1D) as tf.Tensor3D;
  }

  /** Tokens [b, m, d] → (normalised tokens for the logits, tokens the experts see). */
  private prepareTokens(x: tf.Tensor3D): { xn: tf.Tensor3D; xe: tf.Tensor3D } {
    let xn = normalizeAlong(x, 2, this.config.norm) as tf.Tensor3D;
    if (this.weights.tokenGamma) xn = tf.mul(xn, this.weights.tokenGamma);
    if (this.weights.tokenBeta) xn = tf.add(xn, this.weights.tokenBeta);
    return { xn, xe: this.config.expertsSeeNormalized ? xn : x };
  }

  private checkInput(x: tf.Tensor3D, mask?: tf.Tensor2D): void {
    const { dim, numExperts, slotsPerExpert } = this.config;
    if (x.rank !== 3 || x.shape[2] !== dim) {
      throw new SoftMoeError('E_SHAPE', `Soft MoE layer '${this.config.name}' takes tokens [batch, tokens, ${dim}], got [${x.shape.join(', ')}].`);
    }
    if (this.dynamic && Math.ceil(x.shape[1] / numExperts) !== slotsPerExpert) {
      throw new SoftMoeError('E_SHAPE', `Soft MoE layer '${this.config.name}' has dynamic slots built for ${slotsPerExpert} slots per expert (⌈tokens / ${numExperts}⌉); it got ${x.shape[1]} tokens.`);
    }
    if (mask && (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== numExperts)) {
      throw new SoftMoeError('E_SHAPE', `Expert mask for layer '${this.config.name}' should be [${x.shape[0]}, ${numExperts}], got [${mask.shape.join(', ')}].`);
    }
  }

  /** Router logits, both softmaxes and the slots X̃ [b, n·p, d]. Call inside tf.tidy. */
  private route(x: tf.Tensor3D, opts: LayerRunOptions): Routed {
    this.checkInput(x, opts.mask);
    const [b, m, d] = x.shape;
    const S = this.config.numExperts * this.config.slotsPerExpert;
    const { xn, xe } = this.prepareTokens(x);
    const logits2d = this.dynamic
      ? tf.reshape(tf.matMul(xn, this.dynamicRouter(xn), false, true), [b * m, S]) as tf.Tensor2D
      : tf.matMul(tf.reshape(xn, [b * m, d]), this.routerMatrix());
    const logits = tf.reshape(logits2d, [b, m, S]) as tf.Tensor3D;
    // Dispatch: softmax over tokens, per slot (softmax only runs on the last axis).
    const dispatchT = tf.softmax(tf.transpose(logits, [0, 2, 1])) as tf.Tensor3D; // [b, S, m]
    const slots = tf.matMul(dispatchT, xe) as tf.Tensor3D; // [b, S, d]
    const combine = tf.reshape(tf.softmax(logits2d), [b, m, S]) as tf.Tensor3D;
    const combineEff = this.effectiveCombine(combine, logits, opts.mask, opts.drop);
    return { b, m, logits, combine, combineEff, dispatchT, slots };
  }

  /**
   * C_eff [b, m, n·p] from the full combine and router logits [b, m, n·p]: C itself without a mask; `zero` C ⊙ mask;
   * `renorm` the combine softmax over kept slots only. Either way a dropped slot's weight is exactly 0.
   */
  private effectiveCombine(combine: tf.Tensor3D, logits: tf.Tensor3D, mask: tf.Tensor2D | undefined, drop: DropMode | undefined): tf.Tensor3D {
    if (!mask) return combine;
    const slotMask = this.slotMask(mask); // [b, 1, S]
    if ((drop ?? 'zero') === 'renorm') {
      const bias = tf.mul(tf.sub(slotMask, 1), 1e30);
      return tf.mul(tf.softmax(tf.add(logits, bias)), slotMask) as tf.Tensor3D;
    }
    return tf.mul(combine, slotMask) as tf.Tensor3D;
  }

  /**
   * The layer's full (unmasked) routing on tokens [b, m, d]: router logits, dispatch and combine [b, m, n, p], and
   * with `withOutputs` every expert's output on its slots [b, n, p, d] — everything a masked pass of this layer on
   * the same tokens needs (`recombine`), since masks change only C (dispatch of kept slots, hence Ỹ, is unchanged).
   */
  routing(x: tf.Tensor3D, withOutputs: boolean): MoeRouting {
    return tf.tidy(() => {
      const r = this.route(x, {});
      const { numExperts: n, slotsPerExpert: p, dim: d } = this.config;
      const out: MoeRouting = {
        logits: tf.reshape(r.logits, [r.b, r.m, n, p]) as tf.Tensor4D,
        dispatch: tf.reshape(tf.transpose(r.dispatchT, [0, 2, 1]), [r.b, r.m, n, p]) as tf.Tensor4D,
        combine: tf.reshape(r.combine, [r.b, r.m, n, p]) as tf.Tensor4D,
      };
      if (withOutputs) out.slotOutputs = tf.reshape(this.expertOutputs(this.hidden(r.slots, r.b), r.b), [r.b, n, p, d]) as tf.Tensor4D;
      return out as unknown as tf.TensorContainer;
    }) as unknown as MoeRouting;
  }

  /**
   * The layer's output Y [b, m, d] under a mask, from its routing and slot outputs on the same tokens (`routing`
   * with outputs): Y = C_eff · Ỹ, no router or expert recomputed. Equal to `apply` with that mask.
   */
  recombine(cached: MoeCache, opts: { mask?: tf.Tensor2D; drop?: DropMode } = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, m, n, p] = cached.combine.shape;
      const d = cached.slotOutputs.shape[3];
      const S = n * p;
      if (opts.mask && (opts.mask.rank !== 2 || opts.mask.shape[0] !== b || opts.mask.shape[1] !== n)) {
        throw new SoftMoeError('E_SHAPE', `Expert mask for layer '${this.config.name}' should be [${b}, ${n}], got [${opts.mask.shape.join(', ')}].`);
      }
      const combine = tf.reshape(cached.combine, [b, m, S]) as tf.Tensor3D;
      const logits = tf.reshape(cached.logits, [b, m, S]) as tf.Tensor3D;
      const eff = this.effectiveCombine(combine, logits, opts.mask, opts.drop);
      return tf.matMul(eff, tf.reshape(cached.slotOutputs, [b, S, d])) as tf.Tensor3D;
    });
  }

/** Expert mask [b, n] → slot mask [b, 1, n·p]. */
  private slotMask(mask: tf.Tensor2D): tf.Tensor3D {
    const { numExperts: n, slotsPerExpert: p } = this.config;
    const b = mask.shape[0];
    const m = p === 1 ? mask : tf.reshape(tf.tile(tf.reshape(mask, [b, n, 1]), [1, 1, p]), [b, n * p]);
    return tf.reshape(m, [b, 1, n * p]) as tf.Tensor3D;
  }

  /** Slots [b, n·p, d] → per-expert inputs [n, b·p, d] (expert-major, so each expert is a contiguous block). */
  private expertMajor(t: tf.Tensor3D, b: number, width: number): tf.Tensor2D[] {
    const { numExperts: n, slotsPerExpert: p } = this.config;
    const rows = b * p;
    const em = tf.transpose(tf.reshape(t, [b, n, p * width]), [1, 0, 2]); // [n, b, p·width]
    if (n === 1) return [tf.reshape(em, [rows, width]) as tf.Tensor2D];
    // One slice per expert: tf.split (SplitV) is several times slower on wasm, and its gradient breaks for n = 1.
    // Cut along the expert axis, so a graph with a varying number of rows (onnx/) slices at fixed offsets.
    return Array.from({ length: n }, (_, e) => tf.reshape(tf.slice(em, [e, 0, 0], [1, b, p * width]), [rows, width]) as tf.Tensor2D);
  }

  /** Hidden activations of each expert, [b·p, h] per expert (one-linear experts: their inputs). */
  private hidden(slots: tf.Tensor3D, b: number): tf.Tensor2D[] {
    return this.expertMajor(slots, b, this.config.dim).map((xs, e) => this.expertHiddenOf(e, xs));
  }

  /** Expert e's hidden activations on its input rows xs [rows, d] → [rows, h] (one-linear experts: xs). */
  private expertHiddenOf(e: number, xs: tf.Tensor2D): tf.Tensor2D {
    const act = this.config.activation;
    if (act === 'none') return xs;
    const { w1, b1, w1Gate, b1Gate } = this.weights.experts[e];
    const a = { a: xs, b: w1 as tf.Tensor2D, bias: b1 };
    if (act === 'relu') return tf.fused.matMul({ ...a, activation: 'relu' }) as tf.Tensor2D;
    const pre = tf.fused.matMul(a);
    if (act === 'geglu') {
      const gate = tf.fused.matMul({ a: xs, b: w1Gate as tf.Tensor2D, bias: b1Gate });
      return tf.mul(pre, applyGelu(gate, false)) as tf.Tensor2D;
    }
    return applyGelu(pre, act === 'gelu-tanh');
  }

  /** Expert e's outputs on its input rows xs [rows, d] → [rows, d]. */
  private expertOutputOf(e: number, xs: tf.Tensor2D): tf.Tensor2D {
    const { w2, b2 } = this.weights.experts[e];
    return tf.fused.matMul({ a: this.expertHiddenOf(e, xs), b: w2, bias: b2 }) as tf.Tensor2D;
  }

  /**
   * Expert outputs per slot [b, n·p, d] where each expert ran only on the inputs whose mask keeps it, zeros for the
   * rest: a dropped expert's combine weight is exactly 0 in both drop modes, so Y = C_eff·Ỹ is the same as with
   * every expert run. Rows are gathered per expert from the slots, and the outputs scattered back with one gather.
   */
  private keptExpertOutputs(slots: tf.Tensor3D, kept: KeptRows): tf.Tensor3D {
    const { numExperts: n, slotsPerExpert: p, dim: d } = this.config;
    const b = slots.shape[0];
    const flat = tf.reshape(slots, [b * n * p, d]) as tf.Tensor2D; // row (r·n + e)·p + s
    const outs: tf.Tensor2D[] = [];
    kept.rows.forEach((rows, e) => {
      if (rows.size > 0) outs.push(this.expertOutputOf(e, tf.gather(flat, rows) as tf.Tensor2D));
    });
    const all = tf.concat([...outs, tf.zeros([1, d])], 0);
    return tf.gather(all, kept.where) as tf.Tensor3D; // [b, n·p, d]
  }

  /** The kept rows of a mask that can be read and drops some expert; undefined when it keeps every expert. */
  private keptRowsOf(mask: tf.Tensor2D): KeptRows | undefined {
    const v = mask.dataSync();
    if (!v.some((x) => x === 0)) return undefined;
    const { numExperts: n, slotsPerExpert: p } = this.config;
    const b = mask.shape[0];
    const idx = keptRowIndices(v, b, n, p);
    return { rows: idx.rows.map((r) => tf.tensor1d(r, 'int32')), where: tf.tensor2d(idx.where, [b, n * p], 'int32') };
  }

  /** Expert outputs per slot [b, n·p, d]. */
  private expertOutputs(hidden: tf.Tensor2D[], b: number): tf.Tensor3D {
    const { numExperts: n, slotsPerExpert: p, dim: d } = this.config;
    const outs = hidden.map((hs, e) => {
      const { w2, b2 } = this.weights.experts[e];
      return tf.fused.matMul({ a: hs, b: w2, bias: b2 });
    });
    const em = tf.reshape(tf.concat(outs, 0), [n, b, p * d]);
    return tf.reshape(tf.transpose(em, [1, 0, 2]), [b, n * p, d]) as tf.Tensor3D;
  }

  /**
   * Forward: tokens [b, m, d] → Y [b, m, d]. Under a mask each expert runs only on the inputs that keep it; the full
   * routing and every expert's output are `routing`'s.
   */
  apply(x: tf.Tensor3D, opts: LayerRunOptions = {}): LayerOutput {
    return tf.tidy(() => {
      const r = this.route(x, opts);
      // A mask being recorded into a graph cannot be read: without its kept rows every expert runs (same result).
      const kept = opts.kept ?? (opts.mask && !isGraphValue(opts.mask) ? this.keptRowsOf(opts.mask) : undefined);
      const ys = kept ? this.keptExpertOutputs(r.slots, kept) : this.expertOutputs(this.hidden(r.slots, r.b), r.b);
      return { y: tf.matMul(r.combineEff, ys) as tf.Tensor3D };
    });
  }

  /**
   * Folded forward for a model whose layer output goes straight into a linear map:
   * logits = flatten(Y) · W + bias, with W [m·d, C] prepared by `prepareReadout`. Instead of computing each
   * expert's d-dimensional output and then Y, the second expert layer is folded into the readout: slot (e,s) adds
   * act(hidden_{e,s}) · (W2_e · W_t) + b2_e · W_t at token t, weighted by C_eff[t, (e,s)]. Same result to float32
   * rounding, far fewer operations. Returns [b, C].
   */
  applyReadout(x: tf.Tensor3D, readout: PreparedReadout, opts: LayerRunOptions = {}): tf.Tensor2D {
    return tf.tidy(() => {
      const r = this.route(x, opts);
      return this.readoutLogits(r, this.slotContributions(this.hidden(r.slots, r.b), r.b, readout), readout);
    });
  }

  /**
   * The full routing and the readout split per slot (the analysis fast path; see `ReadoutTrace`), folded as in
   * `applyReadout`, so no slot's d-wide output is formed unless `withOutputs` asks for it. The summed outputs are
   * Σ_rows hidden_e · W2_e + rows · b2_e, computed with W2_e as the left operand: on wasm a right operand is packed
   * once more by XNNPACK, and W2 is used nowhere else on this path.
   */
  readoutTrace(x: tf.Tensor3D, readout: PreparedReadout, withOutputs: boolean): ReadoutTrace {
    return tf.tidy(() => {
      const r = this.route(x, {});
      const { numExperts: n, slotsPerExpert: p, dim: d } = this.config;
      const hidden = this.hidden(r.slots, r.b); // per expert [b·p, h]
      const routing: MoeRouting = {
        logits: tf.reshape(r.logits, [r.b, r.m, n, p]) as tf.Tensor4D,
        dispatch: tf.reshape(tf.transpose(r.dispatchT, [0, 2, 1]), [r.b, r.m, n, p]) as tf.Tensor4D,
        combine: tf.reshape(r.combine, [r.b, r.m, n, p]) as tf.Tensor4D,
      };
      if (withOutputs) routing.slotOutputs = tf.reshape(this.expertOutputs(hidden, r.b), [r.b, n, p, d]) as tf.Tensor4D;
      const per = this.slotContributions(hidden, r.b, readout);
      const outputSum = tf.concat(hidden.map((hs, e) => {
        const { w2, b2 } = this.weights.experts[e] as ExpertWeights;
        const sum = tf.reshape(tf.matMul(w2, tf.sum(hs, 0, true), true, true), [1, d]); // (W2ᵀ · Σhᵀ)ᵀ
        if (!b2) return sum;
        // rows · b2, with the rows counted in the computation: a recorded graph's rows vary between runs (onnx/).
        const rows = isGraphValue(hs) ? tf.sum(tf.onesLike(tf.slice(hs, [0, 0], [hs.shape[0] as number, 1]))) : hs.shape[0];
        return tf.add(sum, tf.mul(tf.reshape(b2, [1, d]), rows));
      }), 0) as tf.Tensor2D;
      return {
        routing,
        contributions: tf.reshape(per, [r.b, n, p, readout.tokens, readout.numClasses]),
        outputSum,
        logits: this.readoutLogits(r, per, readout),
      } as unknown as tf.TensorContainer;
    }) as unknown as ReadoutTrace;
  }

  /** Each slot's output through the folded readout at every token: [b, n·p, m·C] from each expert's hidden [b·p, h]. */
  private slotContributions(hidden: tf.Tensor2D[], b: number, readout: PreparedReadout): tf.Tensor3D {
    const { numExperts: n, slotsPerExpert: p } = this.config;
    const mc = readout.tokens * readout.numClasses;
    const per = hidden.map((hs, e) => {
      const { u, v } = readout.perExpert[e] as { u: tf.Tensor2D; v?: tf.Tensor2D };
      return v ? tf.add(tf.matMul(hs, u), v) : tf.matMul(hs, u); // [b·p, m·C]
    });
    return tf.reshape(tf.transpose(tf.reshape(tf.concat(per, 0), [n, b, p * mc]), [1, 0, 2]), [b, n * p, mc]) as tf.Tensor3D;
  }

  /** logits [b, C] = bias + Σ_{t,slot} C_eff[t, slot] · contributions[slot, t, :]. */
  private readoutLogits(r: { b: number; m: number; combineEff: tf.Tensor }, per: tf.Tensor3D, readout: PreparedReadout): tf.Tensor2D {
    const { tokens: m, numClasses: C } = readout;
    if (r.m !== m) throw new SoftMoeError('E_SHAPE', `The readout expects ${m} tokens, the layer got ${r.m}.`);
    const S = this.config.numExperts * this.config.slotsPerExpert;
    const w = tf.reshape(tf.transpose(tf.reshape(r.combineEff, [r.b, m, S]), [0, 2, 1]), [r.b, S * m, 1]);
    const logits = tf.sum(tf.mul(tf.reshape(per, [r.b, S * m, C]), w), 1) as tf.Tensor2D;
    return readout.bias ? (tf.add(logits, readout.bias) as tf.Tensor2D) : logits;
  }

  /**
   * Precompute the folded readout for `applyReadout` from W [C, m·d] (PyTorch Linear layout, flatten token-major)
   * and an optional bias [C].
   */
  prepareReadout(weight: tf.Tensor2D, bias?: tf.Tensor1D): PreparedReadout {
    const d = this.config.dim;
    const [C, md] = weight.shape;
    if (md % d !== 0) throw new SoftMoeError('E_SHAPE', `Readout weight [${C}, ${md}] does not take tokens of width ${d}.`);
    const m = md / d;
    return tf.tidy(() => {
      // Every token's W_t side by side, [d, m·C] (column t·C + c); W2_e is the left operand (see readoutTrace).
      const wAll = tf.reshape(tf.transpose(tf.reshape(weight, [C, m, d]), [2, 1, 0]), [d, m * C]);
      const perExpert = this.weights.experts.map((ex) => ({
        u: tf.matMul(ex.w2, wAll) as tf.Tensor2D, // [h, m·C]
        ...(ex.b2 ? { v: tf.matMul(tf.reshape(ex.b2, [1, d]), wAll) as tf.Tensor2D } : {}), // [1, m·C]
      }));
      return { tokens: m, numClasses: C, perExpert, bias: bias ? tf.clone(bias) : undefined };
    });
  }
}

export interface PreparedReadout {
  tokens: number;
  numClasses: number;
  /** Per expert: u = W2_e · [W_1 … W_m] [h, m·C] and, with a second bias, v = b2_e · [W_1 … W_m] [1, m·C]. */
  perExpert: Array<{ u: tf.Tensor2D; v?: tf.Tensor2D }>;
  bias?: tf.Tensor1D;
}

export function disposeReadout(r: PreparedReadout): void {
  tf.dispose([...(r.bias ? [r.bias] : []), ...r.perExpert.flatMap((e) => (e.v ? [e.u, e.v] : [e.u]))]);
}

/** GELU, exact (erf, PyTorch default) or tanh-approximated (vmoe / jax.nn.gelu default). */
export function applyGelu(x: tf.Tensor, tanhApprox: boolean): tf.Tensor2D {
  return tf.tidy(() => fusedGelu(x, tanhApprox, () => composedGelu(x, tanhApprox)) as tf.Tensor2D);
}

function composedGelu(x: tf.Tensor, tanhApprox: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    if (tanhApprox) {
      const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
      return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1)) as tf.Tensor2D;
    }
    return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)) as tf.Tensor2D;
  });
}
