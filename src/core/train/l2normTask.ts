/**
 * The Theorem 1 experiment of Chung et al. (2025): Soft MoE with a single expert cannot represent f(X) = ‖X‖₂ of a
 * token matrix X, however large the expert; several experts at the same total parameter count can approximate it.
 *
 * Setup: X ∈ R^{m×d} with i.i.d. N(0, 1) entries; target ‖X‖₂, the spectral norm by default (see matrixNorm.ts).
 * Model: the theory's Soft MoE (no normalisation: D = softmax over tokens of XΦ, C = softmax over slots, experts
 * see the raw slots, p = 1), experts Linear → ReLU → Linear without bias, hidden size H/n so the expert
 * parameter count is the same for every n, then a linear readout of the flattened output to one number.
 * Trained with Adam on the mean squared error; we report train and test MSE, and the test-target variance
 * (the MSE of always predicting the mean) for scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError, throwIfAborted } from '../errors';
import { Adam } from './adam';
import { matrixNorm, type MatrixNorm } from './matrixNorm';
import { initParams, paperParamSpecs, countParams } from './paperMnistSpec';
import { buildPaperTrainable } from './paperMnistTrainable';
import { createPrng, mixSeed, permutation } from './prng';
import { meanSquaredError, trainStep } from './trainStep';
import type { HostTensor } from './runFolder';
import type { TrainableModel } from './trainableModel';

export interface L2NormOptions {
  experts: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  norm?: MatrixNorm;
  tokens?: number;
  dim?: number;
  /** Total expert hidden units n·h (h = floor(total / n)). */
  totalHidden?: number;
  trainExamples?: number;
  testExamples?: number;
  signal?: AbortSignal;
  onProgress?: (p: { numExperts: number; epoch: number; epochs: number; loss: number }) => void;
}

export interface L2NormRun {
  numExperts: number;
  expertHidden: number;
  parameters: number;
  trainMse: number;
  testMse: number;
  /** Mean train loss per epoch. */
  lossCurve: number[];
  seconds: number;
}

export interface L2NormResult {
  task: 'l2norm';
  norm: MatrixNorm;
  tokens: number;
  dim: number;
  totalHidden: number;
  trainExamples: number;
  testExamples: number;
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
  /** MSE of predicting the mean test target (the variance of the targets). */
  baselineMse: number;
  runs: L2NormRun[];
}

interface Samples {
  x: Float32Array;
  y: Float32Array;
  count: number;
}

function makeSamples(count: number, m: number, d: number, norm: MatrixNorm, seed: number): Samples {
  const rng = createPrng(seed);
  const x = new Float32Array(count * m * d);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) y[i] = matrixNorm(norm, x, i * m * d, m, d);
  return { x, y, count };
}

function mse(model: TrainableModel, s: Samples): number {
  let sum = 0;
  const w = model.tokens * model.dim;
  for (let i = 0; i < s.count; i += 1024) {
    const b = Math.min(1024, s.count - i);
    const v = tf.tidy(() => {
      const pred = model.apply(tf.tensor3d(s.x.subarray(i * w, (i + b) * w), [b, model.tokens, model.dim]));
      return tf.sum(tf.square(tf.sub(pred, tf.tensor2d(s.y.subarray(i, i + b), [b, 1]))));
    });
    sum += v.dataSync()[0] as number;
    v.dispose();
  }
  return sum / s.count;
}

export async function runL2Norm(o: L2NormOptions): Promise<L2NormResult> {
  const norm = o.norm ?? 'spectral';
  const m = o.tokens ?? 4;
  const d = o.dim ?? 16;
  const total = o.totalHidden ?? 256;
  const nTrain = o.trainExamples ?? 8192;
  const nTest = o.testExamples ?? 2048;
  for (const n of o.experts) {
    if (!Number.isInteger(n) || n < 1 || Math.floor(total / n) < 1) throw new SoftMoeError('E_USAGE', `--experts: ${n} is not valid for the l2norm task (1 to ${total}).`);
  }
  const train = makeSamples(nTrain, m, d, norm, mixSeed(o.seed, 1));
  const test = makeSamples(nTest, m, d, norm, mixSeed(o.seed, 2));
  const meanY = test.y.reduce((a, b) => a + b, 0) / nTest;
  const baselineMse = test.y.reduce((a, b) => a + (b - meanY) ** 2, 0) / nTest;
  const runs: L2NormRun[] = [];
  for (const n of o.experts) {
    const h = Math.floor(total / n);
    const specs = paperParamSpecs(n, d, m, 1, h);
    const init = new Map<string, HostTensor>(initParams(specs, o.seed).map((p) => [p.name, { shape: p.shape, data: p.data }]));
    const model = buildPaperTrainable(n, h, init, { tokens: m, dim: d, classes: 1, norm: 'none', expertsSeeNormalized: false });
    const adam = new Adam(model.params, { lr: o.lr });
    const t0 = performance.now();
    const curve: number[] = [];
    try {
      const w = m * d;
      const xb = new Float32Array(o.batchSize * w);
      const yb = new Float32Array(o.batchSize);
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        const order = permutation(nTrain, mixSeed(o.seed, 1000 + epoch));
        let sum = 0;
        let steps = 0;
        for (let s = 0; s < nTrain; s += o.batchSize) {
          throwIfAborted(o.signal);
          const b = Math.min(o.batchSize, nTrain - s);
          for (let i = 0; i < b; i++) {
            const k = order[s + i] as number;
            xb.set(train.x.subarray(k * w, (k + 1) * w), i * w);
            yb[i] = train.y[k] as number;
          }
          const x = tf.tensor3d(xb.subarray(0, b * w), [b, m, d]);
          const y = tf.tensor2d(yb.subarray(0, b), [b, 1]);
          sum += trainStep(model, adam, x, (out) => meanSquaredError(out, y)).loss;
          steps++;
          tf.dispose([x, y]);
        }
        curve.push(sum / steps);
        o.onProgress?.({ numExperts: n, epoch, epochs: o.epochs, loss: sum / steps });
        await new Promise<void>((r) => setImmediate(r));
      }
      runs.push({ numExperts: n, expertHidden: h, parameters: countParams(specs), trainMse: mse(model, train), testMse: mse(model, test), lossCurve: curve, seconds: (performance.now() - t0) / 1000 });
    } finally {
      adam.dispose();
      model.dispose();
    }
  }
  return { task: 'l2norm', norm, tokens: m, dim: d, totalHidden: total, trainExamples: nTrain, testExamples: nTest, epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, seed: o.seed, baselineMse, runs };
}
