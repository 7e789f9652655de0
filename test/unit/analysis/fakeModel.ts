/**
 * A small Soft MoE model written directly in tfjs for the analysis tests (independent of src/core/engine):
 * the paper's layer (normalised tokens and Φ, scale, dispatch over tokens, combine over all slots, ReLU experts
 * without bias), p slots per expert, masks with both drop modes, traces and the selectMask hook.
 *   kind 'linear':    one MoE layer, logits = flatten(Y)·Wᵀ + b            (has linearReadout: the fast path)
 *   kind 'nonlinear': one MoE layer, logits = relu(flatten(Y))·Wᵀ + b      (general path)
 *   kind 'two-layer': Y1 = x + MoE1(x), Y2 = MoE2(Y1), logits = flatten(Y2)·Wᵀ + b   (general path, selectMask)
 */
import * as tf from '@tensorflow/tfjs-core';
import { runStages, type AdvanceOptions, type LinearReadout, type ModelInfo, type MoeCache, type MoeRouting, type MoeTrace, type ReadoutTrace, type RunOptions, type RunOutput, type SoftMoeModel } from '../../../src/core/engine/model';
import { createPrng } from '../../../src/core/train/prng';
import type { Engine } from '../../../src/core/engine/engine';
import { createTfjsEngine } from '../../../src/core/engine/tfjsEngine';

export interface FakeSpec {
  kind: 'linear' | 'nonlinear' | 'two-layer';
  m: number;
  d: number;
  n: number;
  p: number;
  h: number;
  classes: number;
  seed: number;
}

interface LayerW {
  phi: tf.Tensor2D;
  scale: number;
  w1: tf.Tensor2D[];
  w2: tf.Tensor2D[];
}

function uniform(rng: ReturnType<typeof createPrng>, shape: number[], bound: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rng.uniform(-bound, bound)), shape);
}

export class FakeModel implements SoftMoeModel {
  readonly info: ModelInfo;
  readonly linearReadout?: LinearReadout;
  private readonly layers: LayerW[];
  private readonly w: tf.Tensor2D;
  private readonly bias: tf.Tensor1D;

  constructor(readonly spec: FakeSpec) {
    const { m, d, n, p, h, classes } = spec;
    const rng = createPrng(spec.seed);
    const count = spec.kind === 'two-layer' ? 2 : 1;
    this.layers = Array.from({ length: count }, () => ({
      phi: uniform(rng, [d, n * p], 1) as tf.Tensor2D,
      scale: 4,
      w1: Array.from({ length: n }, () => uniform(rng, [d, h], 1 / Math.sqrt(d)) as tf.Tensor2D),
      w2: Array.from({ length: n }, () => uniform(rng, [h, d], 1.5 / Math.sqrt(h)) as tf.Tensor2D),
    }));
    this.w = uniform(rng, [classes, m * d], 1 / Math.sqrt(m * d)) as tf.Tensor2D;
    this.bias = uniform(rng, [classes], 0.1) as tf.Tensor1D;
    if (spec.kind === 'linear') this.linearReadout = { bias: this.bias.dataSync() as Float32Array, trace: (x, withOutputs) => this.readoutTrace(x, withOutputs) };
    this.info = {
      architecture: 'mnist-softmoe',
      moeLayers: this.layers.map((_, i) => ({ name: count === 1 ? '' : `blocks.${i}.mlp`, layout: 'paper-mnist', numExperts: n, slotsPerExpert: p, dim: d, expertHidden: h })),
      numClasses: classes,
      inputShape: [m, d, 1],
      mean: [0.5],
      std: [0.25],
      tokenGrid: { rows: m, cols: 1, hasClassToken: false },
      parameterCount: 0,
    };
  }

  preprocess(images: tf.Tensor4D): tf.Tensor {
    return tf.tidy(() => tf.div(tf.sub(images, 0.5), 0.25));
  }

  stem(x: tf.Tensor): tf.Tensor3D {
    return tf.reshape(x, [x.shape[0] as number, this.spec.m, this.spec.d]);
  }

  forward(x: tf.Tensor, opts: RunOptions = {}): RunOutput {
    const tokens = this.stem(x);
    const out = this.fromFirstMoe(tokens, opts);
    tokens.dispose();
    return out;
  }

  fromFirstMoe(tokens: tf.Tensor3D, opts: RunOptions = {}): RunOutput {
    return runStages(this, tokens, opts);
  }

  route(li: number, x: tf.Tensor3D, slotOutputs: boolean): MoeRouting {
    const t = tf.tidy(() => this.trace(this.layers[li] as LayerW, x) as unknown as tf.TensorContainer) as unknown as MoeTrace;
    if (slotOutputs) return t;
    t.slotOutputs.dispose();
    return { logits: t.logits, combine: t.combine, dispatch: t.dispatch };
  }

  advance(li: number, x: tf.Tensor3D, opts: AdvanceOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const trace = opts.cached ?? this.trace(this.layers[li] as LayerW, x);
      const out = this.combineOut(trace, opts);
      if (this.spec.kind === 'two-layer' && li === 0) return tf.add(x, out);
      let flat = tf.reshape(out, [out.shape[0], this.spec.m * this.spec.d]) as tf.Tensor2D;
      if (this.spec.kind === 'nonlinear') flat = tf.relu(flat);
      return tf.add(tf.matMul(flat, this.w, false, true), this.bias) as tf.Tensor2D;
    });
  }

  /**
   * The readout split per slot the direct way (each slot's d-wide output times the readout, unlike the built-in
   * model's folded arithmetic): contributions [b, n, p, m, C], summed outputs [n, d], logits from the full forward.
   */
  private readoutTrace(x: tf.Tensor3D, withOutputs: boolean): ReadoutTrace {
    const { m, d, n, p, classes: c } = this.spec;
    const b = x.shape[0];
    return tf.tidy(() => {
      const t = this.trace(this.layers[0] as LayerW, x);
      const projection = tf.reshape(tf.transpose(tf.reshape(this.w, [c, m, d]), [2, 1, 0]), [d, m * c]); // [d, m·C]
      const contributions = tf.reshape(tf.matMul(tf.reshape(t.slotOutputs, [b * n * p, d]), projection), [b, n, p, m, c]);
      const outputSum = tf.sum(t.slotOutputs, [0, 2]) as tf.Tensor2D;
      const logits = this.advance(0, x, { cached: t }) as tf.Tensor2D;
      const routing: MoeRouting = withOutputs ? t : { logits: t.logits, combine: t.combine, dispatch: t.dispatch };
      return { routing, contributions, outputSum, logits } as unknown as tf.TensorContainer;
    }) as unknown as ReadoutTrace;
  }

  private trace(lw: LayerW, x: tf.Tensor3D): MoeTrace {
    const { m, d, n, p } = this.spec;
    const b = x.shape[0];
    const S = n * p;
    const xn = tf.div(x, tf.add(tf.norm(x, 'euclidean', 2, true), 1e-6));
    const phin = tf.mul(tf.div(lw.phi, tf.add(tf.norm(lw.phi, 'euclidean', 0, true), 1e-6)), lw.scale);
    const logits = tf.reshape(tf.matMul(tf.reshape(xn, [b * m, d]), phin), [b, m, S]);
    const dispatchT = tf.softmax(tf.transpose(logits, [0, 2, 1])); // [b, S, m]
    const combine = tf.softmax(logits); // [b, m, S]
    const slots = tf.matMul(dispatchT, xn); // [b, S, d]
    const outs = Array.from({ length: n }, (_, e) => {
      const se = tf.reshape(tf.slice(slots, [0, e * p, 0], [b, p, d]), [b * p, d]);
      return tf.reshape(tf.matMul(tf.relu(tf.matMul(se, lw.w1[e] as tf.Tensor2D)), lw.w2[e] as tf.Tensor2D), [b, p, d]);
    });
    return {
      logits: tf.reshape(logits, [b, m, n, p]) as tf.Tensor4D,
      combine: tf.reshape(combine, [b, m, n, p]) as tf.Tensor4D,
      dispatch: tf.reshape(tf.transpose(dispatchT, [0, 2, 1]), [b, m, n, p]) as tf.Tensor4D,
      slotOutputs: tf.stack(outs, 1) as tf.Tensor4D, // [b, n, p, d]
    };
  }

  /** Y = C_eff · Ỹ for a mask and drop mode. */
  private combineOut(t: MoeCache, opts: AdvanceOptions): tf.Tensor3D {
    const { m, d, n, p } = this.spec;
    const b = t.combine.shape[0];
    const S = n * p;
    const logits = tf.reshape(t.logits, [b, m, S]);
    const combine = tf.reshape(t.combine, [b, m, S]);
    let eff = combine;
    const mask = opts.mask;
    if (mask) {
      const slotMask = tf.reshape(tf.tile(tf.reshape(mask, [b, n, 1]), [1, 1, p]), [b, 1, S]);
      eff = opts.drop === 'renorm'
        ? tf.mul(tf.softmax(tf.add(logits, tf.mul(tf.sub(1, slotMask), -1e9))), slotMask)
        : tf.mul(combine, slotMask);
    }
    return tf.matMul(eff, tf.reshape(t.slotOutputs, [b, S, d])) as tf.Tensor3D;
  }

  dispose(): void {
    for (const l of this.layers) [l.phi, ...l.w1, ...l.w2].forEach((t) => t.dispose());
    this.w.dispose();
    this.bias.dispose();
  }
}

/** A copy of a model that hides its linear readout, to force the general (masked-forward) path. */
export function withoutReadout(model: SoftMoeModel): SoftMoeModel {
  return {
    info: model.info,
    preprocess: (x) => model.preprocess(x),
    forward: (x, o) => model.forward(x, o),
    stem: (x) => model.stem(x),
    fromFirstMoe: (t, o) => model.fromFirstMoe(t, o),
    route: (l, t, o) => model.route(l, t, o),
    advance: (l, t, o) => model.advance(l, t, o),
    dispose: () => model.dispose(),
  };
}

/** A tfjs engine over a test model, leaving the model to the test to dispose. */
export function engineOf(model: SoftMoeModel): Engine {
  return createTfjsEngine(model, { ownsModel: false });
}
