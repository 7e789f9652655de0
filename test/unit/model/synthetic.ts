/**
 * Synthetic tensor lists in every layout of docs/soft-moe-layouts.md (names and shapes only), for detection tests.
 */
import type { TensorInfo } from '../../../src/core/io/types';

export type Spec = Array<[string, number[]]>;

export function toMap(spec: Spec): Map<string, TensorInfo> {
  const m = new Map<string, TensorInfo>();
  for (const [name, shape] of spec) {
    const numel = shape.reduce((a, b) => a * b, 1);
    m.set(name, { name, dtype: 'F32', shape, numel, byteLength: numel * 4 });
  }
  return m;
}

export function withPrefix(prefix: string, spec: Spec): Spec {
  return spec.map(([n, s]) => [prefix + n, s]);
}

/** The paper's MNIST model: phi [d,n], normalization_scale_param, experts.{i}.1/3.weight, decoder.1.weight. */
export function paperMnist(n: number, d = 196, h = Math.floor((d * 4) / n)): Spec {
  const spec: Spec = [['phi', [d, n]], ['normalization_scale_param', [1]]];
  for (let i = 0; i < n; i++) spec.push([`experts.${i}.1.weight`, [h, d]], [`experts.${i}.3.weight`, [d, h]]);
  spec.push(['decoder.1.weight', [10, 4 * d]]);
  return spec;
}

/** One Soft MoE ViT MLP with per-expert timm Mlps, under `p` (e.g. 'blocks.6.mlp.'). */
export function vitExperts(p: string, n: number, slots: number, d: number, h: number): Spec {
  const spec: Spec = [[`${p}phi`, [d, n, slots]], [`${p}scale`, [1]]];
  for (let e = 0; e < n; e++) {
    spec.push([`${p}experts.${e}.fc1.weight`, [h, d]], [`${p}experts.${e}.fc1.bias`, [h]]);
    spec.push([`${p}experts.${e}.fc2.weight`, [d, h]], [`${p}experts.${e}.fc2.bias`, [d]]);
  }
  return spec;
}

export function vitStacked(p: string, n: number, slots: number, d: number, h: number): Spec {
  return [
    [`${p}phi`, [d, n, slots]], [`${p}scale`, [1]],
    [`${p}stacked_expert_fc1_weight`, [n, h, d]], [`${p}stacked_expert_fc1_bias`, [n, h]],
    [`${p}stacked_expert_fc2_weight`, [n, d, h]], [`${p}stacked_expert_fc2_bias`, [n, d]],
    [`${p}base_expert.fc1.weight`, [h, d]], [`${p}base_expert.fc1.bias`, [h]],
  ];
}

/** A dense ViT with Soft MoE MLPs in `moeBlocks`, timm names. */
export function vit(opts: { depth: number; moeBlocks: number[]; d: number; n: number; p: number; stacked?: boolean; classes?: number }): Spec {
  const { d } = opts;
  const spec: Spec = [['cls_token', [1, 1, d]], ['pos_embed', [1, 17, d]], ['patch_embed.proj.weight', [d, 3, 4, 4]], ['patch_embed.proj.bias', [d]]];
  for (let i = 0; i < opts.depth; i++) {
    const b = `blocks.${i}.`;
    spec.push([`${b}norm1.weight`, [d]], [`${b}attn.qkv.weight`, [3 * d, d]], [`${b}attn.proj.weight`, [d, d]], [`${b}norm2.weight`, [d]]);
    if (opts.moeBlocks.includes(i)) spec.push(...(opts.stacked ? vitStacked : vitExperts)(`${b}mlp.`, opts.n, opts.p, d, 2 * d));
    else spec.push([`${b}mlp.fc1.weight`, [2 * d, d]], [`${b}mlp.fc1.bias`, [2 * d]], [`${b}mlp.fc2.weight`, [d, 2 * d]], [`${b}mlp.fc2.bias`, [d]]);
  }
  spec.push(['norm.weight', [d]], ['norm.bias', [d]], ['head.weight', [opts.classes ?? 10, d]], ['head.bias', [opts.classes ?? 10]]);
  return spec;
}

/** lucidrains' SoftMoE layer under `p`; `glu` gives fc1 [2h, d] (GEGLU); `layerNorm` adds the beta buffers. */
export function lucidrains(p: string, n: number, slots: number, d: number, glu = false, layerNorm = false): Spec {
  const h = glu ? Math.floor((d * 4 * 2) / 3) : 4 * d;
  const spec: Spec = [[`${p}norm.gamma`, [d]], ...(layerNorm ? [[`${p}norm.beta`, [d]] as [string, number[]]] : []),
    [`${p}slot_norm.gamma`, [d]], ...(layerNorm ? [[`${p}slot_norm.beta`, [d]] as [string, number[]]] : []), [`${p}slot_embeds`, [n, slots, d]]];
  for (let e = 0; e < n; e++) {
    spec.push([`${p}experts.experts.${e}.0.weight`, [glu ? 2 * h : h, d]], [`${p}experts.experts.${e}.0.bias`, [glu ? 2 * h : h]]);
    spec.push([`${p}experts.experts.${e}.3.weight`, [d, h]], [`${p}experts.experts.${e}.3.bias`, [d]]);
  }
  return spec;
}

/** lucidrains' DynamicSlotsSoftMoE under `p`: a slot projection [n·d, d], RMSNorm gains, experts in a ModuleList. */
export function lucidrainsDynamic(p: string, n: number, d: number, glu = false): Spec {
  const h = glu ? Math.floor((d * 4 * 2) / 3) : 4 * d;
  const spec: Spec = [[`${p}norm.gamma`, [d]], [`${p}to_slot_embeds.0.weight`, [n * d, d]], [`${p}to_slot_embeds.2.gamma`, [d]]];
  for (let e = 0; e < n; e++) {
    spec.push([`${p}experts.${e}.0.weight`, [glu ? 2 * h : h, d]], [`${p}experts.${e}.0.bias`, [glu ? 2 * h : h]]);
    spec.push([`${p}experts.${e}.3.weight`, [d, h]], [`${p}experts.${e}.3.bias`, [d]]);
  }
  return spec;
}

/** fkodom/soft-mixture-of-experts under `p`: phi [d, n, p], experts as one stacked linear [n, d, dOut]. */
export function fkodom(p: string, n: number, slots: number, d: number, dOut = d, bias = true): Spec {
  return [[`${p}phi`, [d, n, slots]], [`${p}experts.weight`, [n, d, dOut]], ...(bias ? [[`${p}experts.bias`, [n, dOut]] as [string, number[]]] : [])];
}

/** vmoe's Flax names under `p` with separator `sep`. */
export function vmoe(p: string, sep: string, n: number, slots: number, d: number, h: number): Spec {
  const j = (...parts: string[]) => p + parts.join(sep);
  return [
    [j('Moe', 'Router', 'mu'), [d, n, slots]], [j('Moe', 'Router', 'scale'), []],
    [j('Moe', 'Mlp', 'Dense_0', 'kernel'), [n, d, h]], [j('Moe', 'Mlp', 'Dense_0', 'bias'), [n, h]],
    [j('Moe', 'Mlp', 'Dense_1', 'kernel'), [n, h, d]], [j('Moe', 'Mlp', 'Dense_1', 'bias'), [n, d]],
  ];
}

/** Replace the shape of `name` (throws if absent, so a test cannot silently test nothing). */
export function reshape(spec: Spec, name: string, shape: number[]): Spec {
  if (!spec.some(([n]) => n === name)) throw new Error(`test bug: ${name} not in spec`);
  return spec.map(([n, s]) => [n, n === name ? shape : s]);
}

export function without(spec: Spec, name: string): Spec {
  if (!spec.some(([n]) => n === name)) throw new Error(`test bug: ${name} not in spec`);
  return spec.filter(([n]) => n !== name);
}
