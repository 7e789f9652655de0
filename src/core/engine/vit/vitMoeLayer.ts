/**
 * A ViT block's Soft MoE MLP: the engine's one `SoftMoeLayer`, configured as bwconrad/soft-moe does it
 * (F.normalize over d of tokens and Φ, Φ times `scale`, experts see the normalised tokens, timm Mlp experts with
 * bias and exact GELU), plus ownership of the weight tensors it was built from.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerInfo } from '../../analysis/schema';
import { SoftMoeLayer, type ExpertWeights, type LayerOutput, type LayerRunOptions } from '../softMoeLayer';
import type { VitMoeArrays } from './vitWeights';

export interface VitMoeLayer {
  readonly info: LayerInfo;
  /** Tokens entering the layer (norm2 of the residual stream) [b, m, d] → layer output [b, m, d]. */
  apply(tokens: tf.Tensor3D, opts: LayerRunOptions): LayerOutput;
  dispose(): void;
}

export function createVitMoeLayer(a: VitMoeArrays): VitMoeLayer {
  const { dim: d, numExperts: n, slotsPerExpert: p, hidden: h } = a;
  const owned: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const experts: ExpertWeights[] = [];
  for (let e = 0; e < n; e++) {
    experts.push({
      w1: keep(tf.tensor2d(transposeBlock(a.fc1Weight, e * h * d, h, d), [d, h])),
      b1: keep(tf.tensor1d(a.fc1Bias.subarray(e * h, (e + 1) * h))),
      w2: keep(tf.tensor2d(transposeBlock(a.fc2Weight, e * d * h, d, h), [h, d])),
      b2: keep(tf.tensor1d(a.fc2Bias.subarray(e * d, (e + 1) * d))),
    });
  }
  const info: LayerInfo = { name: a.name, layout: a.layout, numExperts: n, slotsPerExpert: p, dim: d, expertHidden: h };
  const layer = new SoftMoeLayer(
    { ...info, norm: 'l2', expertsSeeNormalized: true, activation: 'gelu' },
    { phi: keep(tf.tensor2d(a.phi, [d, n * p])), scale: keep(tf.scalar(a.scale)), experts },
  );
  return {
    info,
    apply: (tokens, opts) => layer.apply(tokens, opts),
    dispose: () => tf.dispose(owned),
  };
}

/** The [rows, cols] block of `a` at `offset`, transposed to [cols, rows]. */
function transposeBlock(a: Float32Array, offset: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c * rows + r] = a[offset + r * cols + c];
  }
  return out;
}
