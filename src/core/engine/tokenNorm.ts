/**
 * The normalisations Soft MoE implementations apply before the router logits (docs/soft-moe-layouts.md), each with
 * its own epsilon, so that logits match the source implementation to float32 rounding. The style names are defined
 * with the detected layer (model/detectedLayer.ts), which is what chooses them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { TokenNorm } from '../model/detectedLayer';

export { TOKEN_NORMS, type TokenNorm } from '../model/detectedLayer';

/** lucidrains LayerNorm (torch F.layer_norm default). */
export const LAYER_NORM_EPS = 1e-5;

/**
 * Normalise `x` along `axis` with the given style. The learnable gains of 'rms' and 'layernorm' (γ, and β) are not
 * applied here: the caller applies them along the same axis.
 */
export function normalizeAlong(x: tf.Tensor, axis: number, style: TokenNorm): tf.Tensor {
  return tf.tidy(() => {
    if (style === 'none') return tf.clone(x);
    if (style === 'layernorm') {
      const mean = tf.mean(x, axis, true);
      const xc = tf.sub(x, mean);
      return tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), axis, true), LAYER_NORM_EPS)));
    }
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
