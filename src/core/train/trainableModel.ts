/**
 * What the trainer needs from a model: its parameters as tfjs Variables under their checkpoint names, and a
 * differentiable map from the tokens entering the first Soft MoE layer to logits. `stem` (input → tokens) must have
 * no trainable parameters: the trainer runs it once per dataset and caches the tokens.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { LayoutConverter } from './layoutConverter';

/** Variables may be held transposed with respect to the checkpoint; the LayoutConverter part maps between them. */
export interface TrainableModel extends LayoutConverter {
  /** Parameters under their checkpoint names, in checkpoint order (layout: see LayoutConverter). */
  readonly params: Map<string, tf.Variable>;
  /** Tokens per example and their width (the first MoE layer's m and d). */
  readonly tokens: number;
  readonly dim: number;
  /** Dataset images [b, H, W, C] (0–1) → tokens [b, m, d] entering the first MoE layer. No parameters. */
  stem(images: tf.Tensor4D): tf.Tensor3D;
  /** Tokens [b, m, d] → outputs [b, k] (logits, or regression outputs). Reads `params`; gradients flow to them. */
  apply(tokens: tf.Tensor3D): tf.Tensor2D;
  dispose(): void;
}
