/**
 * Build the one SoftMoeLayer from a detected layer (src/core/model/detect.ts) and the checkpoint's tensors, for every
 * layout: the router's axis order, PyTorch [out, in] vs Flax [in, out] expert weights, per-expert or stacked, and the
 * normalisation each source uses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../errors';
import type { Checkpoint } from '../io/types';
import type { DetectedLayer, SoftMoeLayout } from '../model/detectedLayer';
import { SoftMoeLayer, type ExpertWeights, type SoftMoeLayerConfig } from './softMoeLayer';
import type { TokenNorm } from './tokenNorm';

/** How each layout normalises, and whether its experts see the normalised tokens (soft-moe-layouts.md). */
export const LAYOUT_NORM: Record<SoftMoeLayout, { norm: TokenNorm; expertsSeeNormalized: boolean }> = {
  'paper-mnist': { norm: 'paper', expertsSeeNormalized: true },
  'vit-experts': { norm: 'l2', expertsSeeNormalized: true },
  'vit-stacked': { norm: 'l2', expertsSeeNormalized: true },
  vmoe: { norm: 'rsqrt', expertsSeeNormalized: false },
  lucidrains: { norm: 'rms', expertsSeeNormalized: true },
};

async function read(ckpt: Checkpoint, name: string, shape: number[]): Promise<tf.Tensor> {
  const entry = ckpt.tensors.get(name);
  if (!entry) throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} is missing.`);
  const numel = shape.reduce((a, b) => a * b, 1);
  if (entry.numel !== numel) {
    throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} has shape [${entry.shape.join(', ')}], expected ${numel} values ([${shape.join(', ')}]).`);
  }
  return tf.tensor(await entry.readFloat32(), shape);
}

/** Read the layer's tensors and build it. Caller owns the layer's weights (dispose them with `disposeLayerWeights`). */
export async function layerFromCheckpoint(ckpt: Checkpoint, det: DetectedLayer): Promise<SoftMoeLayer> {
  if (det.activation === 'geglu') {
    throw new SoftMoeError('E_UNSUPPORTED', `${ckpt.path}: layer '${det.name}' uses GEGLU experts, which this version does not run.`);
  }
  const { dim: d, numExperts: n, slotsPerExpert: p, expertHidden: h } = det;
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  try {
    const raw = keep(await read(ckpt, det.router, det.routerAxes === 'npd' ? [n * p, d] : [d, n * p]));
    const phi = (det.routerAxes === 'npd' ? keep(tf.transpose(raw)) : raw) as tf.Tensor2D;
    const scale = det.scale ? keep(await read(ckpt, det.scale, [])) : undefined;
    const tokenGamma = det.tokenNorm ? (keep(await read(ckpt, det.tokenNorm.gamma, [d])) as tf.Tensor1D) : undefined;
    const slotGamma = det.slotNorm ? (keep(await read(ckpt, det.slotNorm.gamma, [d])) as tf.Tensor1D) : undefined;
    const experts: ExpertWeights[] = [];
    const x = det.experts;
    const stacked = x.kind === 'stacked'
      ? {
        fc1: keep(await read(ckpt, x.fc1, x.order === 'out-in' ? [n, h, d] : [n, d, h])),
        fc2: keep(await read(ckpt, x.fc2, x.order === 'out-in' ? [n, d, h] : [n, h, d])),
        b1: x.fc1Bias ? keep(await read(ckpt, x.fc1Bias, [n, h])) : undefined,
        b2: x.fc2Bias ? keep(await read(ckpt, x.fc2Bias, [n, d])) : undefined,
      }
      : undefined;
    for (let e = 0; e < n; e++) {
      if (x.kind === 'per-expert') {
        const w1 = await read(ckpt, x.fc1[e], [h, d]);
        const w2 = await read(ckpt, x.fc2[e], [d, h]);
        experts.push({
          w1: keep(tf.transpose(w1)) as tf.Tensor2D,
          w2: keep(tf.transpose(w2)) as tf.Tensor2D,
          b1: x.fc1Bias ? (keep(await read(ckpt, x.fc1Bias[e], [h])) as tf.Tensor1D) : undefined,
          b2: x.fc2Bias ? (keep(await read(ckpt, x.fc2Bias[e], [d])) as tf.Tensor1D) : undefined,
        });
        tf.dispose([w1, w2]);
      } else if (stacked) {
        const pick = (t: tf.Tensor, rows: number, cols: number) => tf.tidy(() => tf.reshape(tf.slice(t, [e, 0, 0], [1, rows, cols]), [rows, cols]));
        const outIn = x.kind === 'stacked' && x.order === 'out-in';
        experts.push({
          w1: keep(outIn ? tf.tidy(() => tf.transpose(pick(stacked.fc1, h, d))) : pick(stacked.fc1, d, h)) as tf.Tensor2D,
          w2: keep(outIn ? tf.tidy(() => tf.transpose(pick(stacked.fc2, d, h))) : pick(stacked.fc2, h, d)) as tf.Tensor2D,
          b1: stacked.b1 ? (keep(tf.tidy(() => tf.reshape(tf.slice(stacked.b1 as tf.Tensor, [e, 0], [1, h]), [h]))) as tf.Tensor1D) : undefined,
          b2: stacked.b2 ? (keep(tf.tidy(() => tf.reshape(tf.slice(stacked.b2 as tf.Tensor, [e, 0], [1, d]), [d]))) as tf.Tensor1D) : undefined,
        });
      }
    }
    if (stacked) {
      tf.dispose([stacked.fc1, stacked.fc2, ...(stacked.b1 ? [stacked.b1] : []), ...(stacked.b2 ? [stacked.b2] : [])]);
    }
    if (phi !== raw) raw.dispose();
    const config: SoftMoeLayerConfig = {
      name: det.name, layout: det.layout, dim: d, numExperts: n, slotsPerExpert: p, expertHidden: h,
      ...LAYOUT_NORM[det.layout],
      activation: det.activation,
    };
    return new SoftMoeLayer(config, { phi, scale, tokenGamma, slotGamma, experts });
  } catch (err) {
    for (const t of owned) if (!t.isDisposed) t.dispose();
    throw err;
  }
}

/** Dispose every weight tensor of a layer built by `layerFromCheckpoint`. */
export function disposeLayerWeights(layer: SoftMoeLayer): void {
  const w = layer.weights;
  tf.dispose([w.phi, ...[w.scale, w.tokenGamma, w.slotGamma].filter((t): t is tf.Tensor => t !== undefined)]);
  for (const e of w.experts) tf.dispose([e.w1, e.w2, ...[e.b1, e.b2].filter((t): t is tf.Tensor1D => t !== undefined)]);
}
