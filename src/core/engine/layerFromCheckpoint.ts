/**
 * THE mapping from a detected layer (src/core/model/detect.ts) to the one SoftMoeLayer, for every layout and every
 * architecture: the MNIST model, the ViT (each of its Soft MoE blocks) and anything later all build their layers
 * here. `layerConfig` is the variant as plain data (what the PyTorch runner configures its reference forward from
 * too); `layerFromCheckpoint` reads the tensors into the layer's input-major layout: the router's axis order,
 * PyTorch [out, in] vs Flax [in, out] expert weights, per-expert or stacked, GEGLU halves, one-linear experts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../errors';
import type { Checkpoint } from '../io/types';
import type { DetectedLayer } from '../model/detectedLayer';
import { SoftMoeLayer, layerWeightTensors, type SoftMoeLayerConfig, type SoftMoeLayerWeights } from './softMoeLayer';

export interface LayerBuildOptions {
  /** Tokens the layer will take, m. Needed for dynamic slots (p = ⌈m/n⌉); checked against nothing otherwise. */
  tokens?: number;
}

function label(det: DetectedLayer): string {
  return det.name === '' ? 'the Soft MoE layer' : `Soft MoE layer '${det.name}'`;
}

/**
 * The layer's full description (sizes + variant) from its detected layer: JSON-safe, and all any engine needs
 * besides the tensors. Throws E_UNSUPPORTED for what no built-in model can run, E_USAGE when dynamic slots lack m.
 */
export function layerConfig(det: DetectedLayer, opts: LayerBuildOptions = {}): SoftMoeLayerConfig {
  if (det.outDim !== undefined && det.outDim !== det.dim) {
    throw new SoftMoeError('E_UNSUPPORTED', `${label(det)} (${det.layout}) maps ${det.dim} inputs to ${det.outDim} outputs; the built-in models need a layer that keeps the width (run it through your own model code: see README, 'Your own model').`);
  }
  let p = det.slotsPerExpert;
  if (det.slots === 'dynamic') {
    if (!(opts.tokens !== undefined && Number.isInteger(opts.tokens) && opts.tokens > 0)) {
      throw new SoftMoeError('E_USAGE', `${label(det)} has dynamic slots; building it needs the number of tokens it takes.`);
    }
    p = Math.ceil(opts.tokens / det.numExperts);
  }
  return {
    name: det.name, layout: det.layout, dim: det.dim, numExperts: det.numExperts, slotsPerExpert: p, expertHidden: det.expertHidden,
    norm: det.norm, expertsSeeNormalized: det.expertsSeeNormalized, activation: det.activation, slots: det.slots,
  };
}

/** Read the layer's tensors and build it. Caller owns the layer's weights (dispose them with `disposeLayerWeights`). */
export async function layerFromCheckpoint(ckpt: Checkpoint, det: DetectedLayer, opts: LayerBuildOptions = {}): Promise<SoftMoeLayer> {
  const config = layerConfig(det, opts);
  const { dim: d, numExperts: n, expertHidden: h } = config;
  const p = det.slotsPerExpert;
  const owned: tf.Tensor[] = [];
  /** Read or made on the way, not part of the layer: disposed once it is built. */
  const transient: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const read = async (name: string, shape: number[]): Promise<tf.Tensor> => {
    const entry = ckpt.tensors.get(name);
    if (!entry) throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} is missing.`);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (entry.numel !== numel) {
      throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} has shape [${entry.shape.join(', ')}], expected ${numel} values ([${shape.join(', ')}]).`);
    }
    return keep(tf.tensor(await entry.readFloat32(), shape));
  };
  /** Read a [rows, cols] matrix and keep it as [cols, rows] (PyTorch [out, in] → input-major). */
  const readT = async (name: string, rows: number, cols: number): Promise<tf.Tensor2D> => {
    const raw = await read(name, [rows, cols]);
    transient.push(raw);
    return keep(tf.transpose(raw)) as tf.Tensor2D;
  };
  const vec = async (name: string | undefined, size: number): Promise<tf.Tensor1D | undefined> =>
    (name ? ((await read(name, [size])) as tf.Tensor1D) : undefined);
  // Slices are taken from 2D / 1D views so that each result owns data of its own shape: the wasm backend reads a
  // fused matMul's bias shape from its data, and a reshaped [1, h] slice would still say [1, h].
  /** Expert `e` of a stacked [n, rows, cols] tensor as a [rows, cols] matrix, transposed when `transpose`. */
  const pick = (t: tf.Tensor, e: number, rows: number, cols: number, transpose: boolean): tf.Tensor2D =>
    keep(tf.tidy(() => {
      const m = tf.slice(tf.reshape(t, [t.shape[0] * rows, cols]), [e * rows, 0], [rows, cols]) as tf.Tensor2D;
      return transpose ? tf.transpose(m) : m;
    }));
  const row = (t: tf.Tensor | undefined, e: number, size: number): tf.Tensor1D | undefined =>
    (t ? keep(tf.tidy(() => tf.slice(tf.reshape(t, [t.size]), [e * size], [size]))) as tf.Tensor1D : undefined);
  /** GEGLU: split a first map [d, 2h] (input-major) into its value half and its gate half. */
  const halves = (w: tf.Tensor2D, b: tf.Tensor1D | undefined) => ({
    w1: keep(tf.slice(w, [0, 0], [d, h])) as tf.Tensor2D,
    w1Gate: keep(tf.slice(w, [0, h], [d, h])) as tf.Tensor2D,
    b1: b ? (keep(tf.slice(b, [0], [h])) as tf.Tensor1D) : undefined,
    b1Gate: b ? (keep(tf.slice(b, [h], [h])) as tf.Tensor1D) : undefined,
  });
  const geglu = config.activation === 'geglu';
  const w1Rows = geglu ? 2 * h : h;
  try {
    const weights: SoftMoeLayerWeights = { experts: [] };
    if (det.routerAxes === 'dynamic') {
      weights.slotProjection = await readT(det.router, n * d, d);
    } else if (det.routerAxes === 'npd') {
      const raw = await read(det.router, [n * p, d]);
      transient.push(raw);
      weights.phi = keep(tf.transpose(raw)) as tf.Tensor2D;
    } else {
      weights.phi = (await read(det.router, [d, n * p])) as tf.Tensor2D;
    }
    if (det.scale) weights.scale = await read(det.scale, []);
    weights.tokenGamma = await vec(det.tokenNorm?.gamma, d);
    weights.tokenBeta = await vec(det.tokenNorm?.beta, d);
    weights.slotGamma = await vec(det.slotNorm?.gamma, d);
    weights.slotBeta = await vec(det.slotNorm?.beta, d);
    const x = det.experts;
    if (x.kind === 'per-expert') {
      for (let e = 0; e < n; e++) {
        const w1 = await readT(x.fc1[e], w1Rows, d);
        const b1 = await vec(x.fc1Bias?.[e], w1Rows);
        const first = geglu ? halves(w1, b1) : { w1, b1 };
        if (geglu) transient.push(w1, ...(b1 ? [b1] : []));
        weights.experts.push({ ...first, w2: await readT(x.fc2[e], d, h), b2: await vec(x.fc2Bias?.[e], d) });
      }
    } else if (x.kind === 'stacked') {
      const outIn = x.order === 'out-in';
      const fc1 = await read(x.fc1, outIn ? [n, w1Rows, d] : [n, d, w1Rows]);
      const fc2 = await read(x.fc2, outIn ? [n, d, h] : [n, h, d]);
      const b1 = x.fc1Bias ? await read(x.fc1Bias, [n, w1Rows]) : undefined;
      const b2 = x.fc2Bias ? await read(x.fc2Bias, [n, d]) : undefined;
      transient.push(fc1, fc2, ...(b1 ? [b1] : []), ...(b2 ? [b2] : []));
      for (let e = 0; e < n; e++) {
        const w1 = outIn ? pick(fc1, e, w1Rows, d, true) : pick(fc1, e, d, w1Rows, false);
        const bias1 = row(b1, e, w1Rows);
        const first = geglu ? halves(w1, bias1) : { w1, b1: bias1 };
        if (geglu) transient.push(w1, ...(bias1 ? [bias1] : []));
        weights.experts.push({ ...first, w2: outIn ? pick(fc2, e, d, h, true) : pick(fc2, e, h, d, false), b2: row(b2, e, d) });
      }
    } else {
      // One linear map per expert, already input-major [n, d, d] (fkodom).
      const w = await read(x.weight, [n, d, d]);
      const b = x.bias ? await read(x.bias, [n, d]) : undefined;
      transient.push(w, ...(b ? [b] : []));
      for (let e = 0; e < n; e++) weights.experts.push({ w2: pick(w, e, d, d, false), b2: row(b, e, d) });
    }
    const layer = new SoftMoeLayer(config, weights);
    tf.dispose(transient);
    return layer;
  } catch (err) {
    for (const t of owned) if (!t.isDisposed) t.dispose();
    throw err;
  }
}

/** Dispose every weight tensor of a layer built by `layerFromCheckpoint`. */
export function disposeLayerWeights(layer: SoftMoeLayer): void {
  tf.dispose(layerWeightTensors(layer.weights));
}
