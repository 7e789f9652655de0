/**
 * The normalisations Soft MoE implementations apply before the router logits (soft-moe-layouts.md), each with its
 * own epsilon, so that logits match the source implementation to float32 rounding.
 */
import * as tf from '@tensorflow/tfjs-core';

export type TokenNorm =
  /** Paper MNIST code: x / (‖x‖ + 1e-6). */
  | 'paper'
  /** torch F.normalize (bwconrad): x / max(‖x‖, 1e-12). */
  | 'l2'
  /** vmoe: x · rsqrt(Σx² + 1e-6). */
  | 'rsqrt'
  /** lucidrains RMSNorm: F.normalize(x) · √d · γ (γ applied by the caller). */
  | 'rms'
  /** No normalisation (raw logits). */
  | 'none';

export const TOKEN_NORMS: readonly TokenNorm[] = ['paper', 'l2', 'rsqrt', 'rms', 'none'];

/** Normalise `x` along `axis` with the given style (γ for 'rms' is not applied here). */
export function normalizeAlong(x: tf.Tensor, axis: number, style: TokenNorm): tf.Tensor {
  return tf.tidy(() => {
    if (style === 'none') return tf.clone(x);
    const sumSq = tf.sum(tf.square(x), axis, true);
    switch (style) {
      case 'paper':
        return tf.div(x, tf.add(tf.sqrt(sumSq), 1e-6));
      case 'rsqrt':
        return tf.mul(x, tf.rsqrt(tf.add(sumSq, 1e-6)));
      case 'l2':
        return tf.div(x, tf.maximum(tf.sqrt(sumSq), 1e-12));
      case 'rms': {
        const d = x.shape[axis < 0 ? x.rank + axis : axis] ?? 1;
        return tf.mul(tf.div(x, tf.maximum(tf.sqrt(sumSq), 1e-12)), Math.sqrt(d));
      }
    }
  });
}
