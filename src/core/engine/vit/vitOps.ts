/**
 * The ViT's building blocks as tfjs ops, shaped for speed on wasm: every linear layer is one 2D matrix product on
 * [rows, features] (batched matMul is ~10× slower there), weights pre-transposed to [in, out] at load time.
 * Numerics follow PyTorch: LayerNorm with the biased variance, exact (erf) GELU, attention scaling q before q·kᵀ.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fusedGelu, fusedLayerNorm } from '../onnx/fusedOps';

export interface LinearWeights {
  /** [in, out] (PyTorch's weight transposed). */
  w: tf.Tensor2D;
  /** [out] */
  b?: tf.Tensor1D;
}

export interface NormWeights {
  g: tf.Tensor1D;
  b: tf.Tensor1D;
}

/** x [rows, in] → [rows, out]. */
export function linear(x: tf.Tensor2D, l: LinearWeights): tf.Tensor2D {
  return (l.b ? tf.fused.matMul({ a: x, b: l.w, bias: l.b }) : tf.matMul(x, l.w)) as tf.Tensor2D;
}

/** LayerNorm over the last axis of x [rows, d]. */
export function layerNorm(x: tf.Tensor2D, n: NormWeights, eps: number): tf.Tensor2D {
  return tf.tidy(() => fusedLayerNorm(x, n.g, n.b, eps, () => {
    const mean = tf.mean(x, -1, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true);
    return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), n.g), n.b);
  }) as tf.Tensor2D);
}

/** Exact GELU: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)) (PyTorch nn.GELU()). */
export function geluExact(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => fusedGelu(x, false, () => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1))) as tf.Tensor2D);
}

/** timm Mlp: fc2(gelu(fc1(x))) on x [rows, d]. */
export function denseMlp(x: tf.Tensor2D, fc1: LinearWeights, fc2: LinearWeights): tf.Tensor2D {
  return tf.tidy(() => linear(geluExact(linear(x, fc1)), fc2));
}

/** timm's fused qkv Linear [3d, d], split at load time into its q, k and v thirds (no split op per forward). */
export interface QkvWeights {
  q: LinearWeights;
  k: LinearWeights;
  v: LinearWeights;
}

/**
 * timm Attention on x [b·m, d] (rows token-major per input): q, k, v, `heads` heads, softmax(q·scale · kᵀ) · v,
 * then proj. Returns [b·m, d].
 */
export function attention(x: tf.Tensor2D, b: number, m: number, heads: number, qkv: QkvWeights, proj: LinearWeights): tf.Tensor2D {
  return tf.tidy(() => {
    const d = x.shape[1];
    const hd = d / heads;
    const heads3 = (w: LinearWeights, perm: number[], shape: [number, number, number]) =>
      tf.reshape(tf.transpose(tf.reshape(linear(x, w), [b, m, heads, hd]), perm), shape) as tf.Tensor3D;
    const q = heads3(qkv.q, [0, 2, 1, 3], [b * heads, m, hd]);
    // kᵀ straight from the transpose: a batched matMul with transposeB is slower on wasm.
    const kT = heads3(qkv.k, [0, 2, 3, 1], [b * heads, hd, m]);
    const v = heads3(qkv.v, [0, 2, 1, 3], [b * heads, m, hd]);
    const scores = tf.matMul(tf.mul(q, hd ** -0.5), kT); // [b·heads, m, m]
    const out = tf.matMul(tf.softmax(scores), v); // [b·heads, m, hd]
    const merged = tf.reshape(tf.transpose(tf.reshape(out, [b, heads, m, hd]), [0, 2, 1, 3]), [b * m, d]) as tf.Tensor2D;
    return linear(merged, proj);
  });
}

/**
 * Patch embedding of x [b, H, W, C] (NHWC) with non-overlapping patches, as PyTorch's Conv2d(kernel = stride = patch)
 * followed by flatten(2).transpose(1, 2): tokens row-major over the grid. `w` is [ph·pw·C, D] ordered (py, px, c),
 * which is also conv2d's [ph, pw, C, D] filter layout. Done as a reshape into patches and one 2D matMul.
 * Returns [b·gh·gw, D].
 */
export function patchEmbed(x: tf.Tensor4D, grid: [number, number], patch: [number, number], embed: LinearWeights): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, , , c] = x.shape;
    const [gh, gw] = grid;
    const [ph, pw] = patch;
    // Crop to the grid (PyTorch's strided conv drops the remainder).
    const cropped = x.shape[1] === gh * ph && x.shape[2] === gw * pw ? x : tf.slice(x, [0, 0, 0, 0], [b, gh * ph, gw * pw, c]);
    const rows = tf.reshape(cropped, [b * gh, ph, gw, pw * c]);
    const patches = tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [b * gh * gw, ph * pw * c]) as tf.Tensor2D;
    return linear(patches, embed);
  });
}

/** The same as `patchEmbed` through conv2d (kept for the benchmark that chose between them). */
export function patchEmbedConv(x: tf.Tensor4D, grid: [number, number], patch: [number, number], embed: LinearWeights): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, , , c] = x.shape;
    const d = embed.w.shape[1];
    const filter = tf.reshape(embed.w, [patch[0], patch[1], c, d]) as tf.Tensor4D;
    const y = embed.b
      ? tf.fused.conv2d({ x, filter, strides: patch, pad: 'valid', bias: embed.b })
      : tf.conv2d(x, filter, patch, 'valid');
    return tf.reshape(y, [b * grid[0] * grid[1], d]) as tf.Tensor2D;
  });
}
