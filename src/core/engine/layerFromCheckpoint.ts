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
import { transpose2d } from './transpose2d';

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

/** A row-major matrix on the host. */
interface HostMatrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

const transposed = (m: HostMatrix): HostMatrix => ({ data: transpose2d(m.data, m.rows, m.cols), rows: m.cols, cols: m.rows });

/** Block e of n stacked [rows, cols] matrices. */
const block = (data: Float32Array, e: number, rows: number, cols: number): HostMatrix => ({ data: data.subarray(e * rows * cols, (e + 1) * rows * cols), rows, cols });

/** Columns [c0, c1) of a matrix. */
function columns(m: HostMatrix, c0: number, c1: number): HostMatrix {
  const w = c1 - c0;
  const out = new Float32Array(m.rows * w);
  for (let r = 0; r < m.rows; r++) out.set(m.data.subarray(r * m.cols + c0, r * m.cols + c1), r * w);
  return { data: out, rows: m.rows, cols: w };
}

/**
 * Read the layer's tensors and build it. Caller owns the layer's weights (dispose them with `disposeLayerWeights`).
 * Every transpose, slice and GEGLU split happens on the host, so each weight enters the backend once, in its final
 * layout: a raw copy beside it would grow the wasm heap, which never shrinks, to twice the layer's size.
 */
export async function layerFromCheckpoint(ckpt: Checkpoint, det: DetectedLayer, opts: LayerBuildOptions = {}): Promise<SoftMoeLayer> {
  const config = layerConfig(det, opts);
  const { dim: d, numExperts: n, expertHidden: h } = config;
  const p = det.slotsPerExpert;
  const owned: tf.Tensor[] = [];
  const read = async (name: string, shape: number[]): Promise<Float32Array> => {
    const entry = ckpt.tensors.get(name);
    if (!entry) throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} is missing.`);
    const numel = shape.reduce((a, b) => a * b, 1);
    if (entry.numel !== numel) {
      throw new SoftMoeError('E_SHAPE', `${ckpt.path}: tensor ${name} has shape [${entry.shape.join(', ')}], expected ${numel} values ([${shape.join(', ')}]).`);
    }
    return entry.readFloat32();
  };
  const matrix = (m: HostMatrix): tf.Tensor2D => {
    const t = tf.tensor2d(m.data, [m.rows, m.cols]);
    owned.push(t);
    return t;
  };
  const vector = (v: Float32Array | undefined): tf.Tensor1D | undefined => {
    if (!v) return undefined;
    const t = tf.tensor1d(v);
    owned.push(t);
    return t;
  };
  /** A [rows, cols] matrix kept as [cols, rows] (PyTorch [out, in] → input-major). */
  const readT = async (name: string, rows: number, cols: number): Promise<HostMatrix> => transposed({ data: await read(name, [rows, cols]), rows, cols });
  const vec = async (name: string | undefined, size: number): Promise<Float32Array | undefined> => (name ? read(name, [size]) : undefined);
  const row = (v: Float32Array | undefined, e: number, size: number): Float32Array | undefined => v?.subarray(e * size, (e + 1) * size);
  const geglu = config.activation === 'geglu';
  const w1Rows = geglu ? 2 * h : h;
  /** An expert's first map [d, w1Rows] (input-major) and bias: GEGLU's value and gate halves, or as it is. */
  const first = (w1: HostMatrix, b1: Float32Array | undefined) => (geglu
    ? { w1: matrix(columns(w1, 0, h)), w1Gate: matrix(columns(w1, h, 2 * h)), b1: vector(b1?.subarray(0, h)), b1Gate: vector(b1?.subarray(h, 2 * h)) }
    : { w1: matrix(w1), b1: vector(b1) });
  try {
    const weights: SoftMoeLayerWeights = { experts: [] };
    if (det.routerAxes === 'dynamic') {
      weights.slotProjection = matrix(await readT(det.router, n * d, d));
    } else if (det.routerAxes === 'npd') {
      weights.phi = matrix(await readT(det.router, n * p, d));
    } else {
      weights.phi = matrix({ data: await read(det.router, [d, n * p]), rows: d, cols: n * p });
    }
    if (det.scale) {
      weights.scale = tf.scalar((await read(det.scale, []))[0] as number);
      owned.push(weights.scale);
    }
    weights.tokenGamma = vector(await vec(det.tokenNorm?.gamma, d));
    weights.tokenBeta = vector(await vec(det.tokenNorm?.beta, d));
    weights.slotGamma = vector(await vec(det.slotNorm?.gamma, d));
    weights.slotBeta = vector(await vec(det.slotNorm?.beta, d));
    const x = det.experts;
    if (x.kind === 'per-expert') {
      for (let e = 0; e < n; e++) {
        const w1 = await readT(x.fc1[e] as string, w1Rows, d);
        const b1 = await vec(x.fc1Bias?.[e], w1Rows);
        weights.experts.push({ ...first(w1, b1), w2: matrix(await readT(x.fc2[e] as string, d, h)), b2: vector(await vec(x.fc2Bias?.[e], d)) });
      }
    } else if (x.kind === 'stacked') {
      const outIn = x.order === 'out-in';
      const fc1 = await read(x.fc1, outIn ? [n, w1Rows, d] : [n, d, w1Rows]);
      const fc2 = await read(x.fc2, outIn ? [n, d, h] : [n, h, d]);
      const b1 = x.fc1Bias ? await read(x.fc1Bias, [n, w1Rows]) : undefined;
      const b2 = x.fc2Bias ? await read(x.fc2Bias, [n, d]) : undefined;
      for (let e = 0; e < n; e++) {
        const w1 = outIn ? transposed(block(fc1, e, w1Rows, d)) : block(fc1, e, d, w1Rows);
        const w2 = outIn ? transposed(block(fc2, e, d, h)) : block(fc2, e, h, d);
        weights.experts.push({ ...first(w1, row(b1, e, w1Rows)), w2: matrix(w2), b2: vector(row(b2, e, d)) });
      }
    } else {
      // One linear map per expert, already input-major [n, d, d] (fkodom).
      const w = await read(x.weight, [n, d, d]);
      const b = x.bias ? await read(x.bias, [n, d]) : undefined;
      for (let e = 0; e < n; e++) weights.experts.push({ w2: matrix(block(w, e, d, d)), b2: vector(row(b, e, d)) });
    }
    return new SoftMoeLayer(config, weights);
  } catch (err) {
    for (const t of owned) if (!t.isDisposed) t.dispose();
    throw err;
  }
}

export function disposeLayerWeights(layer: SoftMoeLayer): void {
  tf.dispose(layerWeightTensors(layer.weights));
}
