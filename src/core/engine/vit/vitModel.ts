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
import { disposeTrace, type DropMode, type MoeTrace, type ModelInfo, type RunOptions, type RunOutput, type SoftMoeModel } from '../model';
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
    const [b, m, d] = h.shape;
    const norm2 = this.weights.blocks[this.firstMoeBlock].norm2;
    return tf.tidy(() => tf.reshape(layerNorm(tf.reshape(h, [b * m, d]), norm2, this.config.layerNormEps), [b, m, d]) as tf.Tensor3D);
  }

  fromFirstMoe(h: tf.Tensor3D, opts: RunOptions = {}): RunOutput {
    const c = this.config;
    const [b, m, d] = h.shape;
    if (m !== this.tokens || d !== c.embedDim) {
      throw new SoftMoeError('E_SHAPE', `fromFirstMoe: tokens are [${h.shape.join(', ')}], expected [b, ${this.tokens}, ${c.embedDim}].`);
    }
    const drop = opts.drop ?? 'zero';
    return tidyRun(() => {
      const traces: MoeTrace[] = [];
      let moeIndex = 0;
      let rows = tf.reshape(h, [b * m, d]) as tf.Tensor2D;
      for (let i = this.firstMoeBlock; i < c.depth; i++) {
        if (i !== this.firstMoeBlock) rows = this.attentionHalf(rows, b, i);
        const layer = this.moe[i];
        if (!layer) {
          rows = this.mlpHalf(rows, i, (x) => {
            const mlp = this.weights.blocks[i].mlp;
            if (mlp.kind !== 'dense') throw new SoftMoeError('E_INTERNAL', `blocks.${i}: dense MLP weights missing.`);
            return denseMlp(x, mlp.fc1, mlp.fc2);
          });
          continue;
        }
        const li = moeIndex++;
        rows = this.mlpHalf(rows, i, (x) => {
          const y = this.runMoe(layer, li, tf.reshape(x, [b, m, d]) as tf.Tensor3D, opts, drop, traces);
          return tf.reshape(y, [b * m, d]) as tf.Tensor2D;
        });
      }
      return { logits: this.head(rows, b), traces };
    });
  }

  dispose(): void {
    disposeVitWeights(this.weights);
    for (const l of this.moe) if (l) disposeLayerWeights(l);
    this.mean.dispose();
    this.std.dispose();
  }

  /**
   * One Soft MoE layer with its mask: `masks[li]`, or — with `selectMask` — the mask the caller picks from this
   * layer's full routing on this pass's (already masked upstream) input. That needs the routing before the masked
   * run, so the layer runs twice (once traced, unmasked); when the caller keeps every expert the first run is used.
   */
  private runMoe(layer: SoftMoeLayer, li: number, tokens: tf.Tensor3D, opts: RunOptions, drop: DropMode, traces: MoeTrace[]): tf.Tensor3D {
    const check = (mask: tf.Tensor2D | undefined, what: string): void => {
      if (mask && (mask.rank !== 2 || mask.shape[0] !== tokens.shape[0] || mask.shape[1] !== layer.config.numExperts)) {
        throw new SoftMoeError('E_USAGE', `${what} for Soft MoE layer ${li} ('${layer.config.name}') is [${mask.shape.join(', ')}], expected [${tokens.shape[0]}, ${layer.config.numExperts}].`);
      }
    };
    let mask = opts.masks?.[li];
    check(mask, 'Mask');
    if (!opts.selectMask) {
      const out = layer.apply(tokens, { mask, drop, trace: opts.trace === true });
      if (out.trace) traces.push(out.trace);
      return out.y;
    }
    const probe = layer.apply(tokens, { trace: true });
    const routing = probe.trace as MoeTrace;
    const selected = opts.selectMask(li, routing);
    check(selected, 'The selected mask');
    if (selected) mask = selected;
    if (opts.trace) traces.push(routing);
    else disposeTrace(routing);
    if (!mask) return probe.y;
    probe.y.dispose();
    const y = layer.apply(tokens, { mask, drop }).y;
    selected?.dispose();
    return y;
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
