/**
 * Which whole model a checkpoint holds, from its detected Soft MoE layers and the tensors around them:
 * the paper's MNIST model, a Soft MoE ViT, or Soft MoE layers we can show but not run as a model.
 */
import { SoftMoeError } from '../errors';
import type { DetectedLayer } from './detectedLayer';
import { fmtShape, fmtTensor, type ShapeMap } from './tensorShapes';

export type ArchitectureKind = 'mnist-softmoe' | 'vit-softmoe' | 'layer-only' | 'none';

export interface ArchitectureDescription {
  kind: ArchitectureKind;
  /** One line: what was found, or why it is not a runnable model. */
  reason: string;
  /** Prefix in front of every model tensor name ('' or e.g. 'module.', 'model.'). */
  prefix: string;
  /** mnist: rows of `decoder.1.weight`; vit: rows of `head.weight`. */
  numClasses?: number;
  /** mnist only: tokens per input (decoder inputs / d). */
  tokens?: number;
  /** vit only. */
  depth?: number;
  moeBlocks?: number[];
  embedDim?: number;
  patchSize?: number;
  inChans?: number;
}

export function describeArchitecture(tensors: ShapeMap, layers: readonly DetectedLayer[]): ArchitectureDescription {
  if (layers.length === 0) {
    return { kind: 'none', prefix: '', reason: 'no Soft MoE layer recognised (no phi, slot_embeds or Router/mu tensor with expert weights beside it)' };
  }
  const layouts = [...new Set(layers.map((l) => l.layout))];
  const names = layers.map((l) => `'${l.name}'`).join(', ');
  const other = layouts.filter((l) => l === 'lucidrains' || l === 'vmoe');
  if (other.length > 0) {
    return layerOnly(`${layers.length} ${other.join('/')} layer${layers.length > 1 ? 's' : ''} (${names}); only the paper's MNIST model and the Soft MoE ViT run as whole models`);
  }
  if (layouts.length > 1) return layerOnly(`layers of several layouts (${layouts.join(', ')}) in one checkpoint`);
  return layouts[0] === 'paper-mnist' ? describeMnist(tensors, layers) : describeVit(tensors, layers);
}

function layerOnly(reason: string): ArchitectureDescription {
  return { kind: 'layer-only', prefix: '', reason };
}

function describeMnist(tensors: ShapeMap, layers: readonly DetectedLayer[]): ArchitectureDescription {
  if (layers.length !== 1) return layerOnly(`${layers.length} paper-mnist layers; the paper's MNIST model has one`);
  const layer = layers[0];
  const prefix = layer.name === '' ? '' : `${layer.name}.`;
  const decoder = `${prefix}decoder.1.weight`;
  const d = tensors.get(decoder);
  if (!d) return layerOnly(`paper-mnist layer ${fmtTensor(tensors, layer.router)} without ${decoder} (the MNIST model's classifier)`);
  if (d.shape.length !== 2 || d.shape[1] % layer.dim !== 0 || d.shape[1] === 0 || d.shape[0] === 0) {
    throw new SoftMoeError('E_SHAPE', `${fmtTensor(tensors, decoder)} should be [classes, tokens × d] with d = ${layer.dim} from ${fmtTensor(tensors, layer.router)}`);
  }
  const tokens = d.shape[1] / layer.dim;
  return {
    kind: 'mnist-softmoe', prefix, numClasses: d.shape[0], tokens,
    reason: `the paper's MNIST model: ${fmtTensor(tensors, layer.router)} (${layer.numExperts} experts, d = ${layer.dim}) and ${fmtTensor(tensors, decoder)} (${tokens} tokens × ${layer.dim} → ${d.shape[0]} classes)`,
  };
}

const VIT_MLP = /^(|.*\.)blocks\.(\d+)\.mlp$/;

function describeVit(tensors: ShapeMap, layers: readonly DetectedLayer[]): ArchitectureDescription {
  const matches = layers.map((l) => VIT_MLP.exec(l.name));
  const bad = layers.find((_, i) => !matches[i]);
  if (bad) return layerOnly(`Soft MoE layer '${bad.name}' is not at blocks.<i>.mlp, so the ViT around it is unknown`);
  const prefixes = [...new Set(matches.map((m) => (m as RegExpExecArray)[1]))];
  if (prefixes.length > 1) return layerOnly(`Soft MoE ViT layers under several prefixes (${prefixes.map((p) => `'${p}'`).join(', ')})`);
  const prefix = prefixes[0];
  const moeBlocks = matches.map((m) => Number((m as RegExpExecArray)[2])).sort((a, b) => a - b);
  const embed = `${prefix}patch_embed.proj.weight`;
  const head = `${prefix}head.weight`;
  const e = tensors.get(embed);
  const h = tensors.get(head);
  if (!e || !h) return layerOnly(`Soft MoE ViT blocks without ${!e ? embed : head}, so the model around them is unknown`);
  const dim = layers[0].dim;
  if (e.shape.length !== 4 || e.shape[0] !== dim) {
    throw new SoftMoeError('E_SHAPE', `${fmtTensor(tensors, embed)} should be [${dim}, channels, patch, patch] (d = ${dim} from ${fmtTensor(tensors, layers[0].router)})`);
  }
  if (h.shape.length !== 2 || h.shape[1] !== dim) {
    throw new SoftMoeError('E_SHAPE', `${fmtTensor(tensors, head)} should be [classes, ${dim}] (d = ${dim} from ${fmtTensor(tensors, layers[0].router)})`);
  }
  const mismatch = layers.find((l) => l.dim !== dim);
  if (mismatch) throw new SoftMoeError('E_SHAPE', `${fmtTensor(tensors, mismatch.router)} has d = ${mismatch.dim} but ${fmtTensor(tensors, layers[0].router)} has d = ${dim}`);
  const depth = countBlocks(tensors, prefix);
  return {
    kind: 'vit-softmoe', prefix, numClasses: h.shape[0], depth, moeBlocks, embedDim: dim, patchSize: e.shape[2], inChans: e.shape[1],
    reason: `Soft MoE ViT: ${depth} blocks, Soft MoE in ${blockList(moeBlocks)}, ${embed} ${fmtShape(e.shape)}, ${head} ${fmtShape(h.shape)}`,
  };
}

function countBlocks(tensors: ShapeMap, prefix: string): number {
  const seen = new Set<number>();
  const re = /^blocks\.(\d+)\./;
  for (const name of tensors.keys()) {
    if (!name.startsWith(prefix)) continue;
    const m = re.exec(name.slice(prefix.length));
    if (m) seen.add(Number(m[1]));
  }
  return seen.size;
}

function blockList(blocks: number[]): string {
  if (blocks.length === 1) return `block ${blocks[0]}`;
  const contiguous = blocks.every((b, i) => i === 0 || b === blocks[i - 1] + 1);
  return contiguous ? `blocks ${blocks[0]}–${blocks[blocks.length - 1]}` : `blocks ${blocks.join(', ')}`;
}
