/**
 * The Soft MoE ViT as a `SoftMoeModel` (timm / bwconrad SoftMoEVisionTransformer, eval mode).
 *
 * Rows are kept 2D ([b·tokens, d]) between ops so every linear layer is one 2D matMul.
 *
 * stem / fromFirstMoe. In a pre-norm block the Soft MoE sits on the residual's MLP branch:
 *   h = x + attn(norm1(x));  out = h + moe(norm2(h)).
 * The MoE needs norm2(h) but the residual needs h, and norm2(h) is a cheap function of h, so for the ViT:
 *   stem(x)           = h of the first Soft MoE block: the residual stream right after that block's attention,
 *                       i.e. everything up to (not including) its norm2 — [b, 1 + patches, d];
 *   fromFirstMoe(h)   = h + moe(norm2(h)), then the remaining blocks, the final norm, pooling and the head.
 * `moeInput(h)` gives the tokens the first MoE layer actually receives (norm2(h)). forward(x) is computed as
 * fromFirstMoe(stem(x)), so the identity holds exactly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SoftMoeError } from '../../errors';
import { runStages, type AdvanceOptions, type ModelInfo, type MoeRouting, type RunOptions, type RunOutput, type SoftMoeModel } from '../model';
import { disposeLayerWeights } from '../layerFromCheckpoint';
import type { SoftMoeLayer } from '../softMoeLayer';
import type { VitConfig } from './vitConfig';
import { attention, denseMlp, layerNorm, linear, patchEmbed } from './vitOps';
import type { VitBlockWeights, VitWeights } from './vitWeights';
import { disposeVitWeights } from './vitWeights';

export class VitModel implements SoftMoeModel {
  readonly info: ModelInfo;
  /** Index of the first Soft MoE block. */
  readonly firstMoeBlock: number;
  private readonly tokens: number;
  private readonly mean: tf.Tensor1D;
  private readonly std: tf.Tensor1D;

  constructor(
    readonly config: VitConfig,
    private readonly weights: VitWeights,
    /** One per block, built by the one mapping (layerFromCheckpoint); undefined for dense blocks. */
    private readonly moe: Array<SoftMoeLayer | undefined>,
  ) {
    this.firstMoeBlock = moe.findIndex((l) => l !== undefined);
    this.tokens = config.grid[0] * config.grid[1] + (config.classToken ? 1 : 0);
    this.mean = tf.tensor1d(config.mean);
    this.std = tf.tensor1d(config.std);
    const layers = moe.filter((l): l is SoftMoeLayer => l !== undefined);
    this.info = {
      architecture: 'vit-softmoe',
      moeLayers: layers.map(({ config: l }) => ({
        name: l.name, layout: l.layout, numExperts: l.numExperts, slotsPerExpert: l.slotsPerExpert, dim: l.dim, expertHidden: l.expertHidden,
      })),
      numClasses: config.numClasses,
      inputShape: [config.imgSize[0], config.imgSize[1], config.inChans],
      mean: [...config.mean],
      std: [...config.std],
      tokenGrid: { rows: config.grid[0], cols: config.grid[1], hasClassToken: config.classToken },
      parameterCount: weights.parameterCount + layers.reduce((s, l) => s + l.parameterCount, 0),
      preprocessing: config.preprocessing,
    };
  }

  preprocess(images: tf.Tensor4D): tf.Tensor4D {
    this.checkImages(images, 'dataset images');
    return tf.tidy(() => tf.div(tf.sub(images, this.mean), this.std) as tf.Tensor4D);
  }

  forward(x: tf.Tensor, opts: RunOptions = {}): RunOutput {
    return tidyRun(() => this.fromFirstMoe(this.stem(x), opts));
  }

  stem(x: tf.Tensor): tf.Tensor3D {
    this.checkImages(x, 'model input');
    const c = this.config;
    const w = this.weights;
    return tf.tidy(() => {
      const b = x.shape[0];
      const patches = tf.reshape(patchEmbed(x as tf.Tensor4D, c.grid, c.patchSize, w.patch), [b, c.grid[0] * c.grid[1], c.embedDim]);
      let t: tf.Tensor3D;
      if (w.cls) {
        const cls = tf.tile(w.cls, [b, 1, 1]);
        t = (c.noEmbedClass ? tf.concat([cls, tf.add(patches, w.pos)], 1) : tf.add(tf.concat([cls, patches], 1), w.pos)) as tf.Tensor3D;
      } else {
        t = tf.add(patches, w.pos) as tf.Tensor3D;
      }
      let rows = tf.reshape(t, [b * this.tokens, c.embedDim]) as tf.Tensor2D;
      if (w.normPre) rows = layerNorm(rows, w.normPre, c.layerNormEps);
      for (let i = 0; i < this.firstMoeBlock; i++) rows = this.denseBlock(rows, b, i);
      rows = this.attentionHalf(rows, b, this.firstMoeBlock);
      return tf.reshape(rows, [b, this.tokens, c.embedDim]) as tf.Tensor3D;
    });
  }

  /** The tokens the first Soft MoE layer receives, norm2(h), from `stem`'s output h. */
  moeInput(h: tf.Tensor3D): tf.Tensor3D {
    return tf.tidy(() => this.normed(h, this.firstMoeBlock));
  }

  fromFirstMoe(h: tf.Tensor3D, opts: RunOptions = {}): RunOutput {
    this.checkState(h);
    return runStages(this, h, opts);
  }

  /** Layer `li`'s full routing on norm2(h), h the residual stream entering its block's MLP half. */
  route(li: number, h: tf.Tensor3D, slotOutputs: boolean): MoeRouting {
    const block = this.moeBlock(li);
    this.checkState(h);
    return tf.tidy(() => (this.moe[block] as SoftMoeLayer).routing(this.normed(h, block), slotOutputs) as unknown as tf.TensorContainer) as unknown as MoeRouting;
  }

  /**
   * h + ls2·moe(norm2(h)) for MoE layer `li` (masked; recombined from `cached` when given), then every block up to
   * the next MoE block's MLP half (its residual stream h), or — after the last MoE layer — the remaining blocks and
   * the head (logits [rows, C]).
   */
  advance(li: number, h: tf.Tensor3D, opts: AdvanceOptions = {}): tf.Tensor {
    const block = this.moeBlock(li);
    this.checkState(h);
    const layer = this.moe[block] as SoftMoeLayer;
    const [b, m, d] = h.shape;
    if (opts.mask && (opts.mask.rank !== 2 || opts.mask.shape[0] !== b || opts.mask.shape[1] !== layer.config.numExperts)) {
      throw new SoftMoeError('E_USAGE', `Mask for Soft MoE layer ${li} ('${layer.config.name}') is [${opts.mask.shape.join(', ')}], expected [${b}, ${layer.config.numExperts}].`);
    }
    const drop = opts.drop ?? 'zero';
    return tf.tidy(() => {
      const y = opts.cached
        ? layer.recombine(opts.cached, { mask: opts.mask, drop })
        : layer.apply(this.normed(h, block), { mask: opts.mask, drop, ...(opts.kept ? { kept: opts.kept } : {}) }).y;
      let branch = tf.reshape(y, [b * m, d]) as tf.Tensor2D;
      const ls2 = this.block(block).ls2;
      if (ls2) branch = tf.mul(branch, ls2);
      let rows = tf.add(tf.reshape(h, [b * m, d]), branch) as tf.Tensor2D;
      const next = this.moe.findIndex((l, i) => i > block && l !== undefined);
      const end = next < 0 ? this.config.depth : next;
      for (let i = block + 1; i < end; i++) rows = this.denseBlock(rows, b, i);
      if (next < 0) return this.head(rows, b);
      rows = this.attentionHalf(rows, b, next);
      return tf.reshape(rows, [b, m, d]) as tf.Tensor3D;
    });
  }

  dispose(): void {
    disposeVitWeights(this.weights);
    for (const l of this.moe) if (l) disposeLayerWeights(l);
    this.mean.dispose();
    this.std.dispose();
  }

  /** Block index of MoE layer `li`. */
  private moeBlock(li: number): number {
    let seen = -1;
    for (let i = 0; i < this.moe.length; i++) {
      if (this.moe[i] && ++seen === li) return i;
    }
    throw new SoftMoeError('E_INTERNAL', `Internal error: the ViT has no MoE layer ${li}.`);
  }

  /** norm2(h) of block `block`, as the MoE layer takes it [b, m, d]. */
  private normed(h: tf.Tensor3D, block: number): tf.Tensor3D {
    const [b, m, d] = h.shape;
    return tf.reshape(layerNorm(tf.reshape(h, [b * m, d]), this.weights.blocks[block].norm2, this.config.layerNormEps), [b, m, d]) as tf.Tensor3D;
  }

  private checkState(h: tf.Tensor3D): void {
    const [, m, d] = h.shape;
    if (h.rank !== 3 || m !== this.tokens || d !== this.config.embedDim) {
      throw new SoftMoeError('E_SHAPE', `fromFirstMoe: tokens are [${h.shape.join(', ')}], expected [b, ${this.tokens}, ${this.config.embedDim}].`);
    }
  }

  private checkImages(x: tf.Tensor, what: string): void {
    const [H, W] = this.config.imgSize;
    const C = this.config.inChans;
    if (x.rank !== 4 || x.shape[1] !== H || x.shape[2] !== W || x.shape[3] !== C) {
      const got = x.rank === 4 ? `${x.shape[1]}×${x.shape[2]}×${x.shape[3]}` : `[${x.shape.join(', ')}]`;
      throw new SoftMoeError('E_SHAPE', `The ${what} are ${got} (height×width×channels) but the ViT takes ${H}×${W}×${C}.`);
    }
  }

  private block(i: number): VitBlockWeights {
    return this.weights.blocks[i];
  }

  /** x + ls1 · attn(norm1(x)) on rows [b·m, d]. */
  private attentionHalf(rows: tf.Tensor2D, b: number, i: number): tf.Tensor2D {
    const w = this.block(i);
    let a = attention(layerNorm(rows, w.norm1, this.config.layerNormEps), b, this.tokens, this.config.numHeads, w.qkv, w.proj);
    if (w.ls1) a = tf.mul(a, w.ls1);
    return tf.add(rows, a);
  }

  /** x + ls2 · f(norm2(x)) on rows [b·m, d]. */
  private mlpHalf(rows: tf.Tensor2D, i: number, f: (x: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    const w = this.block(i);
    let y = f(layerNorm(rows, w.norm2, this.config.layerNormEps));
    if (w.ls2) y = tf.mul(y, w.ls2);
    return tf.add(rows, y);
  }

  private denseBlock(rows: tf.Tensor2D, b: number, i: number): tf.Tensor2D {
    const mlp = this.block(i).mlp;
    if (mlp.kind !== 'dense') throw new SoftMoeError('E_INTERNAL', `blocks.${i}: expected a dense MLP before the first Soft MoE block.`);
    return this.mlpHalf(this.attentionHalf(rows, b, i), i, (x) => denseMlp(x, mlp.fc1, mlp.fc2));
  }

  /** Final norm, pooling ('token': the class token; 'avg': mean of the patch tokens), fc_norm, head. */
  private head(rows: tf.Tensor2D, b: number): tf.Tensor2D {
    const c = this.config;
    const w = this.weights;
    if (w.norm) rows = layerNorm(rows, w.norm, c.layerNormEps);
    const t = tf.reshape(rows, [b, this.tokens, c.embedDim]);
    const prefix = c.classToken ? 1 : 0;
    let pooled = c.globalPool === 'token'
      ? (tf.reshape(tf.slice(t, [0, 0, 0], [b, 1, c.embedDim]), [b, c.embedDim]) as tf.Tensor2D)
      : (tf.mean(tf.slice(t, [0, prefix, 0], [b, this.tokens - prefix, c.embedDim]), 1) as tf.Tensor2D);
    if (w.fcNorm) pooled = layerNorm(pooled, w.fcNorm, c.layerNormEps);
    return linear(pooled, w.head);
  }
}

/** tf.tidy for a RunOutput (its trace interfaces are not TensorContainer-typed, but are plain objects of tensors). */
function tidyRun(fn: () => RunOutput): RunOutput {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as RunOutput;
}
