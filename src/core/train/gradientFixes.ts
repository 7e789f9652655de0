/**
 * tfjs-core 4.22's SplitV gradient is `concat(dy)`, but when a split has ONE output the tape hands the gradient
 * over as a single tensor, not an array, and concat throws "Pass at least one tensor to concat". The Soft MoE
 * layer splits its slots into n per-expert blocks, so training a one-expert model hit it. Re-register the
 * gradient to accept both forms (identical result otherwise). Imported by the trainer; idempotent.
 */
import * as tf from '@tensorflow/tfjs-core';

let done = false;

export function registerGradientFixes(): void {
  if (done) return;
  done = true;
  tf.registerGradient({
    kernelName: tf.SplitV,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], _saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
      const axis = (attrs as unknown as { axis: number }).axis;
      return { x: () => (Array.isArray(dy) ? tf.concat(dy, axis) : tf.clone(dy)) };
    },
  });
}
