/**
 * The paper's MNIST Soft MoE model (beyond-param-count, mnist_experiments):
 *   ToTensor → (x − mean)/std → patchify 'b c (h p1) (w p2) -> b (h w) (c p1 p2)' (row-major patches)
 *   → Soft MoE → flatten token-major → Linear(m·d → C), no bias.
 * The paper's own layer normalises tokens, has p = 1 and ReLU experts without bias; any other detected layout can
 * sit in its place (the layer is whatever layerFromCheckpoint built).
 *
 * The forward without a trace and the analysis's readout trace fold the experts' second layer into the decoder
 * (SoftMoeLayer.applyReadout, readoutTrace): the same logits to float32 rounding, several times fewer operations.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Preprocessing, ValueSource } from '../analysis/schema';
import { SoftMoeError } from '../errors';
import { runStages, type AdvanceOptions, type LinearReadout, type ModelInfo, type MoeRouting, type RunOptions, type RunOutput, type SoftMoeModel } from './model';
import { PAPER_MNIST_MEAN, PAPER_MNIST_STD, normaliseImages, patchify } from './paperMnistInput';
import { disposeReadout, layerWeightTensors, type PreparedReadout, type SoftMoeLayer } from './softMoeLayer';

export { PAPER_MNIST_MEAN, PAPER_MNIST_STD } from './paperMnistInput';

export interface MnistModelOptions {
  /** Per-channel normalisation (default the paper's 0.1307 / 0.3081). */
  mean?: number[];
  std?: number[];
  /** Side of a square patch (default: the one that makes the layer's token width, 14 for 28×28 grey). */
  patchSize?: number;
  /** Input image side (default 28). */
  imageSize?: number;
  /** Where mean, std and the image size came from (absent: the paper's default). */
  sources?: { mean?: ValueSource; std?: ValueSource; inputSize?: ValueSource };
  /** How defaults are described in the preprocessing record. */
  defaultNote?: string;
}

export interface MnistGeometry {
  numClasses: number;
  imageSize: number;
  /** Tokens per side (the token grid is square). */
  grid: number;
  patch: number;
  channels: number;
}

/**
 * What the model takes and predicts, from shapes alone (the layer's width and decoder.1.weight's [C, m·d]) and the
 * options: read before any tensor data, so a dataset that cannot fit is refused at once (engine/preflight.ts).
 */
export function mnistGeometry(dim: number, decoderShape: readonly number[], opts: MnistModelOptions = {}): MnistGeometry {
  const imageSize = opts.imageSize ?? 28;
  const [numClasses = 0, flat = 0] = decoderShape;
  const tokens = flat / dim;
  const grid = Math.round(Math.sqrt(tokens));
  if (!Number.isInteger(tokens) || grid * grid !== tokens) {
    throw new SoftMoeError('E_SHAPE', `decoder.1.weight [${numClasses}, ${flat}] does not take a square grid of tokens of width ${dim}.`);
  }
  const patch = opts.patchSize ?? imageSize / grid;
  const channels = dim / (patch * patch);
  if (!Number.isInteger(patch) || patch * grid !== imageSize || !Number.isInteger(channels) || channels < 1) {
    throw new SoftMoeError('E_CONFIG', `The MNIST model's tokens (${tokens} of width ${dim}) do not cut a ${imageSize}×${imageSize} image into patches of ${patch}; set patch_size in args.json.`);
  }
  return { numClasses, imageSize, grid, patch, channels };
}

/**
 * The model's normalisation and input size with where each came from (the paper's constants by default), checked
 * against its channels: what the built-in model and the PyTorch engine both apply to a dataset.
 */
export function mnistPreprocessing(channels: number, imageSize: number, opts: MnistModelOptions = {}): Preprocessing {
  const mean = opts.mean ?? Array<number>(channels).fill(PAPER_MNIST_MEAN);
  const std = opts.std ?? Array<number>(channels).fill(PAPER_MNIST_STD);
  if (mean.length !== channels || std.length !== channels || std.some((s) => !(s > 0))) {
    throw new SoftMoeError('E_CONFIG', `mean/std in args.json must have ${channels} value(s), std > 0.`);
  }
  return {
    mean, std, inputSize: [imageSize, imageSize],
    sources: {
      mean: opts.sources?.mean ?? { from: 'default', note: opts.defaultNote ?? "the paper's MNIST constants" },
      std: opts.sources?.std ?? { from: 'default', note: opts.defaultNote ?? "the paper's MNIST constants" },
      inputSize: opts.sources?.inputSize ?? { from: 'default', note: "the paper's 28×28" },
    },
  };
}

export class MnistSoftMoeModel implements SoftMoeModel {
  readonly info: ModelInfo;
  readonly linearReadout: LinearReadout;
  private readonly decoder: tf.Tensor2D;
  private readonly layer: SoftMoeLayer;
  /** Decoder weight transposed, [m·d, C], for the traced path. */
  private readonly decoderT: tf.Tensor2D;
  private readonly folded: PreparedReadout;
  private readonly patch: number;
  private readonly channels: number;
  private readonly grid: number;

  constructor(layer: SoftMoeLayer, decoderWeight: tf.Tensor2D, opts: MnistModelOptions = {}) {
    const { dim, numExperts, slotsPerExpert, expertHidden } = layer.config;
    const { numClasses, imageSize, grid, patch, channels } = mnistGeometry(dim, decoderWeight.shape, opts);
    const preprocessing = mnistPreprocessing(channels, imageSize, opts);
    const { mean, std } = preprocessing;
    this.layer = layer;
    this.patch = patch;
    this.channels = channels;
    this.grid = grid;
    this.decoder = decoderWeight;
    this.decoderT = tf.tidy(() => tf.transpose(decoderWeight));
    this.folded = layer.prepareReadout(decoderWeight);
    const folded = this.folded;
    this.linearReadout = { bias: new Float32Array(numClasses), trace: (tokens, slotOutputs) => layer.readoutTrace(tokens, folded, slotOutputs) };
    const parameterCount = layer.parameterCount + decoderWeight.size;
    this.info = {
      architecture: 'mnist-softmoe',
      moeLayers: [{ name: layer.config.name, layout: layer.config.layout, numExperts, slotsPerExpert, dim, expertHidden }],
      numClasses,
      inputShape: [imageSize, imageSize, channels],
      mean,
      std,
      tokenGrid: { rows: grid, cols: grid, hasClassToken: false },
      parameterCount,
      preprocessing,
    };
  }

  preprocess(images: tf.Tensor4D): tf.Tensor {
    const [, h, w, c] = images.shape;
    const [eh, ew, ec] = this.info.inputShape;
    if (h !== eh || w !== ew || c !== ec) {
      throw new SoftMoeError('E_SHAPE', `The model takes ${eh}×${ew} images with ${ec} channel(s); got ${h}×${w}×${c}.`);
    }
    return normaliseImages(images as tf.Tensor4D, this.info.mean, this.info.std);
  }

  /** Normalised images [b, H, W, C] → tokens [b, m, C·P·P] in the paper's order (patch row-major; c, p1, p2). */
  stem(x: tf.Tensor): tf.Tensor3D {
    return patchify(x, this.patch, this.grid, this.channels);
  }

  forward(x: tf.Tensor, opts: RunOptions = {}): RunOutput {
    const tokens = this.stem(x);
    try {
      return this.fromFirstMoe(tokens, opts);
    } finally {
      tokens.dispose();
    }
  }

  fromFirstMoe(tokens: tf.Tensor3D, opts: RunOptions = {}): RunOutput {
    return runStages(this, tokens, opts);
  }

  route(layer: number, tokens: tf.Tensor3D, slotOutputs: boolean): MoeRouting {
    this.checkLayer(layer);
    return this.layer.routing(tokens, slotOutputs);
  }

  /** The one MoE layer and the decoder: logits [b, C] (folded into the readout unless recombining a cached routing). */
  advance(layer: number, tokens: tf.Tensor3D, opts: AdvanceOptions = {}): tf.Tensor2D {
    this.checkLayer(layer);
    const run = { mask: opts.mask, drop: opts.drop ?? 'zero' } as const;
    if (!opts.cached) return this.layer.applyReadout(tokens, this.folded, run);
    const cached = opts.cached;
    return tf.tidy(() => {
      const y = this.layer.recombine(cached, run);
      const [b, m, d] = y.shape;
      return tf.matMul(tf.reshape(y, [b, m * d]), this.decoderT) as tf.Tensor2D;
    });
  }

  private checkLayer(layer: number): void {
    if (layer !== 0) throw new SoftMoeError('E_INTERNAL', `Internal error: the MNIST model has one MoE layer, not layer ${layer}.`);
  }

  dispose(): void {
    disposeReadout(this.folded);
    this.decoderT.dispose();
    this.decoder.dispose();
    tf.dispose(layerWeightTensors(this.layer.weights));
  }
}
