/**
 * Which whole model a checkpoint holds, from its detected Soft MoE layers and the tensors around them. The built-in
 * architectures are skeletons around Soft MoE layers of ANY layout (docs/soft-moe-layouts.md):
 * - 'mnist-softmoe': the paper's MNIST model — patchified image tokens → one Soft MoE layer → `decoder.1` (a linear
 *   readout of the flattened tokens), the decoder beside the layer or beside the module holding it;
 * - 'vit-softmoe': a timm-named ViT (`patch_embed`, `blocks.<i>`, `head`) with Soft MoE layers in MLP slots
 *   (`blocks.<i>.mlp`).
 * Anything else with Soft MoE layers is 'layer-only': inspectable, and runnable only through the user's own model
 * code; the reason says what was recognised and where to go.
 */
import { SoftMoeError } from '../errors';
import type { DetectedLayer } from './detectedLayer';
import { fmtShape, fmtTensor, type ShapeMap } from './tensorShapes';

export type ArchitectureKind = 'mnist-softmoe' | 'vit-softmoe' | 'layer-only' | 'none';

export interface ArchitectureDescription {
  kind: ArchitectureKind;
  /** One line: what was found, or why it is not a runnable model (for layer-only: every near miss, for inspect). */
  reason: string;
  /** layer-only: the layers recognised, e.g. "1 lucidrains Soft MoE layer (at the top level; n = 4, p = 2, d = 8)". */
  found?: string;
  /** Prefix in front of every model tensor name ('' or e.g. 'module.', 'model.'). */
  prefix: string;
  /** mnist: rows of `decoder.1.weight`; vit: rows of `head.weight`. */
  numClasses?: number;
  /** mnist only: tokens per input (decoder inputs / d), and the decoder's tensor name. */
  tokens?: number;
  decoder?: string;
  /** vit only. */
  depth?: number;
  moeBlocks?: number[];
  embedDim?: number;
  patchSize?: number;
  inChans?: number;
}

/** Where the user is sent for a model none of the built-in architectures fits (the PyTorch engine, README). */
export const OWN_MODEL_ADVICE = "run it through your own code: --engine torch and softmoe.json (README, 'Your own model')";

export function describeArchitecture(tensors: ShapeMap, layers: readonly DetectedLayer[]): ArchitectureDescription {
  if (layers.length === 0) {
    return { kind: 'none', prefix: '', reason: 'no Soft MoE layer recognised (no phi, slot_embeds, to_slot_embeds or Router/mu tensor with expert weights beside it)' };
  }
  const nearMisses: string[] = [];
  const vit = describeVit(tensors, layers, nearMisses);
  if (vit) return vit;
  if (layers.length === 1) {
    const mnist = describeMnist(tensors, layers[0], nearMisses);
    if (mnist) return mnist;
  } else {
    nearMisses.push(`the paper's MNIST model has one Soft MoE layer, not ${layers.length}`);
  }
  const found = describeLayers(layers);
  return {
    kind: 'layer-only', prefix: '', found,
    reason: `recognised ${found}, inside a model that is none of the built-in architectures (${nearMisses.join('; ')}); ${OWN_MODEL_ADVICE}`,
  };
}

/** "2 lucidrains Soft MoE layers ('a', 'b'; n = 4, p = 2, d = 64)" */
function describeLayers(layers: readonly DetectedLayer[]): string {
  const layouts = [...new Set(layers.map((l) => l.layout))].join('/');
  const names = layers.slice(0, 4).map((l) => (l.name === '' ? 'at the top level' : `'${l.name}'`)).join(', ') + (layers.length > 4 ? ', …' : '');
  const l = layers[0];
  const p = l.slots === 'dynamic' ? 'p = ⌈m/n⌉' : `p = ${l.slotsPerExpert}`;
  return `${layers.length} ${layouts} Soft MoE layer${layers.length > 1 ? 's' : ''} (${names}; n = ${l.numExperts}, ${p}, d = ${l.dim})`;
}

function prefixOf(name: string): string {
  return name === '' ? '' : `${name}.`;
}

/** The parent module's prefix of a layer name ('moe' → '', 'net.moe' → 'net.'). */
function parentPrefix(name: string): string | undefined {
  if (name === '') return undefined;
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(0, i + 1);
}

function describeMnist(tensors: ShapeMap, layer: DetectedLayer, nearMisses: string[]): ArchitectureDescription | null {
  const own = prefixOf(layer.name);
  const parent = parentPrefix(layer.name);
  const candidates = [own, ...(parent !== undefined ? [parent] : [])];
  const prefix = candidates.find((p) => tensors.has(`${p}decoder.1.weight`));
  if (prefix === undefined) {
    nearMisses.push(`no ${own}decoder.1.weight (the paper's MNIST model's classifier) beside the layer`);
    return null;
  }
  const decoder = `${prefix}decoder.1.weight`;
  const d = tensors.get(decoder) as { shape: readonly number[] };
  if (d.shape.length !== 2 || d.shape[1] % layer.dim !== 0 || d.shape[1] === 0 || d.shape[0] === 0) {
    throw new SoftMoeError('E_SHAPE', `${fmtTensor(tensors, decoder)} should be [classes, tokens × d] with d = ${layer.dim} from ${fmtTensor(tensors, layer.router)}`);
  }
  const tokens = d.shape[1] / layer.dim;
  const what = layer.layout === 'paper-mnist' ? "the paper's MNIST model" : `the paper's MNIST model with a ${layer.layout} Soft MoE layer`;
  return {
    kind: 'mnist-softmoe', prefix, numClasses: d.shape[0], tokens, decoder,
    reason: `${what}: ${fmtTensor(tensors, layer.router)} (${layer.numExperts} experts, d = ${layer.dim}) and ${fmtTensor(tensors, decoder)} (${tokens} tokens × ${layer.dim} → ${d.shape[0]} classes)`,
  };
}

const VIT_MLP = /^(|.*\.)blocks\.(\d+)\.mlp$/;

function describeVit(tensors: ShapeMap, layers: readonly DetectedLayer[], nearMisses: string[]): ArchitectureDescription | null {
  const matches = layers.map((l) => VIT_MLP.exec(l.name));
  const bad = layers.find((_, i) => !matches[i]);
  if (bad) {
    nearMisses.push(`a Soft MoE ViT has its layers at blocks.<i>.mlp, not ${bad.name === '' ? 'at the top level' : `'${bad.name}'`}`);
    return null;
  }
  const prefixes = [...new Set(matches.map((m) => (m as RegExpExecArray)[1]))];
  if (prefixes.length > 1) {
    nearMisses.push(`Soft MoE ViT layers under several prefixes (${prefixes.map((p) => `'${p}'`).join(', ')})`);
    return null;
  }
  const prefix = prefixes[0];
  const moeBlocks = matches.map((m) => Number((m as RegExpExecArray)[2])).sort((a, b) => a - b);
  const embed = `${prefix}patch_embed.proj.weight`;
  const head = `${prefix}head.weight`;
  const e = tensors.get(embed);
  const h = tensors.get(head);
  if (!e || !h) {
    nearMisses.push(`Soft MoE blocks without ${!e ? embed : head}, so not a timm-named ViT`);
    return null;
  }
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
  const layouts = [...new Set(layers.map((l) => l.layout))].join('/');
  return {
    kind: 'vit-softmoe', prefix, numClasses: h.shape[0], depth, moeBlocks, embedDim: dim, patchSize: e.shape[2], inChans: e.shape[1],
    reason: `Soft MoE ViT: ${depth} blocks, Soft MoE (${layouts}) in ${blockList(moeBlocks)}, ${embed} ${fmtShape(e.shape)}, ${head} ${fmtShape(h.shape)}`,
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
