/**
 * The paper's MNIST Soft MoE as a trainable model: parameters are tf.Variables handed to the engine's one
 * SoftMoeLayer (src/core/engine/softMoeLayer.ts), so every op of the forward pass reads them and gradients flow.
 *
 * The layer wants input-major weights ([in, out], fast 2D matMuls on wasm), so the expert and decoder variables are
 * held transposed with respect to the PyTorch state_dict; `toCheckpoint` / `fromCheckpoint` convert. The stem
 * (engine/paperMnistInput.ts: normalise, cut 28×28 into four 14×14 patches, row-major) has no parameters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { PAPER_MNIST_MEAN, PAPER_MNIST_STD, normaliseImages, patchify } from '../engine/paperMnistInput';
import { SoftMoeLayer, type ExpertWeights } from '../engine/softMoeLayer';
import type { TokenNorm } from '../engine/tokenNorm';
import { PAPER_CLASSES, PAPER_DIM, PAPER_TOKENS, initParams, paperExpertHidden, paperParamSpecs } from './paperMnistSpec';
import { registerGradientFixes } from './gradientFixes';
import { layoutConverter } from './layoutConverter';
import type { HostTensor } from './runFolder';
import type { TrainableModel } from './trainableModel';

let instances = 0;

export type PaperTrainable = TrainableModel;

/** A fresh model with n experts, initialised from the seed as the paper's code does (paperMnistSpec.initParams). */
export function createPaperMnistTrainable(numExperts: number, seed: number): PaperTrainable {
  const hidden = paperExpertHidden(numExperts);
  const specs = paperParamSpecs(numExperts);
  const initial = new Map<string, HostTensor>(initParams(specs, seed).map((p) => [p.name, { shape: p.shape, data: p.data }]));
  return buildPaperTrainable(numExperts, hidden, initial);
}

/** Build from weights in the paper's state_dict layout (e.g. read from a checkpoint or a test fixture). */
export interface PaperDims {
  tokens: number;
  dim: number;
  classes: number;
  /**
   * Use the layer's folded readout (`applyReadout`: the decoder folded into the experts' second matrices), ~1.5×
   * faster on wasm, same function; false runs `apply` then the decoder. Default true.
   */
  folded?: boolean;
  /** Router normalisation and what the experts see; default the paper's ('paper', normalised tokens). */
  norm?: TokenNorm;
  expertsSeeNormalized?: boolean;
}

export function buildPaperTrainable(numExperts: number, hidden: number, weights: Map<string, HostTensor>,
  dims: PaperDims = { tokens: PAPER_TOKENS, dim: PAPER_DIM, classes: PAPER_CLASSES }): PaperTrainable {
  registerGradientFixes();
  const { tokens, dim } = dims;
  const transposed = new Set<string>(['decoder.1.weight']);
  for (let i = 0; i < numExperts; i++) {
    transposed.add(`experts.${i}.1.weight`);
    transposed.add(`experts.${i}.3.weight`);
  }
  const conv = layoutConverter(transposed);
  const prefix = `train${++instances}`;
  const params = new Map<string, tf.Variable>();
  for (const [name, t] of weights) {
    const v = conv.fromCheckpoint(name, t);
    params.set(name, tf.variable(tf.tensor(v.data, v.shape, 'float32'), true, `${prefix}/${name}`));
  }
  const get = (name: string) => params.get(name) as tf.Variable;
  const experts: ExpertWeights[] = [];
  for (let i = 0; i < numExperts; i++) {
    experts.push({ w1: get(`experts.${i}.1.weight`) as tf.Variable<tf.Rank.R2>, w2: get(`experts.${i}.3.weight`) as tf.Variable<tf.Rank.R2> });
  }
  const layer = new SoftMoeLayer(
    { name: '', layout: 'paper-mnist', dim, numExperts, slotsPerExpert: 1, expertHidden: hidden, norm: dims.norm ?? 'paper', expertsSeeNormalized: dims.expertsSeeNormalized ?? true, activation: 'relu' },
    { phi: get('phi') as tf.Variable<tf.Rank.R2>, scale: get('normalization_scale_param'), experts },
  );
  const decoder = get('decoder.1.weight') as tf.Variable<tf.Rank.R2>; // [m·d, C]
  return {
    params,
    tokens,
    dim,
    ...conv,
    stem: (images) => tf.tidy(() => {
      const p = Math.sqrt(dim);
      return patchify(normaliseImages(images as tf.Tensor4D, [PAPER_MNIST_MEAN], [PAPER_MNIST_STD]), p, images.shape[1] / p, 1);
    }),
    apply: (x) => tf.tidy(() => {
      if (dims.folded ?? true) return layer.applyReadout(x, layer.prepareReadout(tf.transpose(decoder) as tf.Tensor2D));
      const y = layer.apply(x).y;
      return tf.matMul(tf.reshape(y, [x.shape[0], tokens * dim]), decoder) as tf.Tensor2D;
    }),
    dispose: () => {
      for (const v of params.values()) v.dispose();
    },
  };
}
