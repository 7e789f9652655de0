/**
 * Operations that tfjs composes from several kernels and ONNX Runtime runs as ONE optimised kernel (GELU, LayerNorm):
 * on a graph value (graphBackend.ts) they record that single ONNX node; on any other tensor they run the tfjs
 * composition given. Model code calls these instead of composing itself, so both executions share it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GRAPH_BACKEND, graphBackend } from './graphBackend';

export const FUSED_GELU = 'SoftMoeGelu';
export const FUSED_LAYER_NORM = 'SoftMoeLayerNorm';

/** Whether `t` is a value of a graph being recorded (its values do not exist: it cannot be read). */
export function isGraphValue(t: tf.Tensor): boolean {
  if (tf.getBackend() !== GRAPH_BACKEND) return false;
  return graphBackend()?.holdsSymbolic(t.dataId) === true;
}

/** GELU, exact (erf) or tanh-approximated: one ONNX Gelu node in a graph, else `composed(x)`. */
export function fusedGelu(x: tf.Tensor, tanhApprox: boolean, composed: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (!isGraphValue(x)) return composed(x);
  return tf.engine().runKernel(FUSED_GELU, { x }, { approximate: tanhApprox ? 'tanh' : 'none' }) as tf.Tensor;
}

/** LayerNorm over the last axis with gain and bias: one ONNX LayerNormalization node in a graph, else `composed()`. */
export function fusedLayerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, epsilon: number, composed: () => tf.Tensor): tf.Tensor {
  if (!isGraphValue(x)) return composed();
  return tf.engine().runKernel(FUSED_LAYER_NORM, { x, gain, bias }, { epsilon }) as tf.Tensor;
}
