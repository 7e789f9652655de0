/**
 * The paper's MNIST input step, written once for the model (mnistModel.ts) and the trainer
 * (train/paperMnistTrainable.ts): ToTensor → (x − mean)/std → patchify
 * 'b c (h p1) (w p2) -> b (h w) (c p1 p2)' (row-major patches; inside a token: channel, then patch row, then column).
 */
import * as tf from '@tensorflow/tfjs-core';

/** The paper's normalisation constants (MNIST's mean and std). */
export const PAPER_MNIST_MEAN = 0.1307;
export const PAPER_MNIST_STD = 0.3081;

/** Images [b, H, W, C] (0–1) → (x − mean) / std per channel. */
export function normaliseImages(images: tf.Tensor4D, mean: readonly number[], std: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(images, tf.tensor1d([...mean])), tf.tensor1d([...std])) as tf.Tensor4D);
}

/** Normalised images [b, g·P, g·P, C] → tokens [b, g·g, C·P·P] in the paper's order. */
export function patchify(x: tf.Tensor, patch: number, grid: number, channels: number): tf.Tensor3D {
  const b = x.shape[0] ?? 0;
  const [P, g, c] = [patch, grid, channels];
  return tf.tidy(() => {
    if (c === 1) {
      return tf.reshape(tf.transpose(tf.reshape(x, [b, g, P, g, P]), [0, 1, 3, 2, 4]), [b, g * g, P * P]) as tf.Tensor3D;
    }
    return tf.reshape(tf.transpose(tf.reshape(x, [b, g, P, g, P, c]), [0, 1, 3, 5, 2, 4]), [b, g * g, c * P * P]) as tf.Tensor3D;
  });
}
