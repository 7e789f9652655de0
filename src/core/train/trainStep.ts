/**
 * One optimisation step and the losses it uses. The gradient comes from tf.variableGrads over the model's
 * parameters; the update is our PyTorch-exact Adam.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Adam } from './adam';
import type { TrainableModel } from './trainableModel';

/** Mean softmax cross-entropy, as torch.nn.CrossEntropyLoss(): −mean_b log softmax(z_b)[y_b]. */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
}

/** Mean squared error, as torch.nn.MSELoss(). */
export function meanSquaredError(pred: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target)));
}

export interface StepResult {
  loss: number;
  /** Per-example argmax of the outputs before the update (for running train accuracy). */
  predictions: Int32Array;
}

/** Forward, backward and one Adam update on a batch; returns the loss before the update. */
export function trainStep(model: TrainableModel, adam: Adam, x: tf.Tensor3D,
  loss: (out: tf.Tensor2D) => tf.Scalar): StepResult {
  const vars = [...model.params.values()];
  const keyOf = new Map<string, string>();
  for (const [key, v] of model.params) keyOf.set(v.name, key);
  let predictions: tf.Tensor | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = model.apply(x);
    predictions = tf.keep(tf.argMax(out, 1));
    return loss(out);
  }, vars);
  const byKey: Record<string, tf.Tensor> = {};
  for (const [name, g] of Object.entries(grads)) byKey[keyOf.get(name) ?? name] = g;
  adam.apply(byKey);
  const result = { loss: (value.dataSync() as Float32Array)[0] as number, predictions: predictions ? Int32Array.from(predictions.dataSync()) : new Int32Array(0) };
  value.dispose();
  predictions?.dispose();
  for (const g of Object.values(grads)) g.dispose();
  return result;
}
