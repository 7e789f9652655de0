/**
 * What layer detection finds: each Soft MoE layer's sizes (LayerInfo), the names of the tensors that hold it, and
 * the variant of the math it computes, in a form every engine can build from without looking at names again.
 * Plain data, JSON-safe: the built-in TensorFlow.js engine (engine/layerFromCheckpoint.ts) and the PyTorch runner
 * read the same fields. docs/soft-moe-layouts.md defines each field's math.
 */
import type { LayerInfo } from '../analysis/schema';

/** The checkpoint layouts of docs/soft-moe-layouts.md (how the tensors are named and shaped). */
export type SoftMoeLayout =
  /** The paper's MNIST code: `phi [d,n]`, `normalization_scale_param`, `experts.{e}.1/3.weight`. */
  | 'paper-mnist'
  /** bwconrad/soft-moe (timm names): `phi [d,n,p]`, `scale` (absent when normalize=False), `experts.{e}.fc1/fc2`. */
  | 'vit-experts'
  /** The paper's ImageNet ViTs: `phi`, `scale`, `stacked_expert_fc{1,2}_{weight,bias}` (`base_expert.*` ignored). */
  | 'vit-stacked'
  /** lucidrains `SoftMoE`: `slot_embeds [n,p,d]`, `norm.*`, `slot_norm.*`, `experts.experts.{e}.0/3`. */
  | 'lucidrains'
  /** lucidrains `DynamicSlotsSoftMoE`: `to_slot_embeds.0.weight [n·d,d]`, `to_slot_embeds.2.gamma`, `norm.gamma`, `experts.{e}.0/3`. */
  | 'lucidrains-dynamic'
  /** fkodom/soft-mixture-of-experts: `phi [d,n,p]`, one linear map per expert stacked as `experts.weight [n,d,d]`, `experts.bias [n,d]`. */
  | 'fkodom'
  /** google-research/vmoe (Flax names): `Router/mu [d,n,p]`, `Router/scale`, `Mlp/Dense_{0,1}/{kernel,bias}`. */
  | 'vmoe';

export const SOFT_MOE_LAYOUTS: readonly SoftMoeLayout[] = ['paper-mnist', 'vit-experts', 'vit-stacked', 'lucidrains', 'lucidrains-dynamic', 'fkodom', 'vmoe'];

/**
 * How tokens (over d) and the router (each slot's vector, over d) are normalised before the logits. One style for
 * both, as every implementation does; each has its own epsilon:
 * - 'paper': x / (‖x‖ + 1e-6)                 (the paper's MNIST code)
 * - 'l2': x / max(‖x‖, 1e-12)                  (torch F.normalize; bwconrad)
 * - 'rsqrt': x · rsqrt(Σx² + 1e-6)             (vmoe)
 * - 'rms': x / max(‖x‖, 1e-12) · √d · γ        (lucidrains RMSNorm; γ from `tokenNorm` / `slotNorm`)
 * - 'layernorm': (x − mean) / √(var + 1e-5) · γ + β   (lucidrains `use_layernorm`; biased variance)
 * - 'none': no normalisation (bwconrad normalize=False, fkodom)
 */
export type TokenNorm = 'paper' | 'l2' | 'rsqrt' | 'rms' | 'layernorm' | 'none';

export const TOKEN_NORMS: readonly TokenNorm[] = ['paper', 'l2', 'rsqrt', 'rms', 'layernorm', 'none'];

/**
 * Axis order of the router tensor (Φ, slot embeddings or vmoe's `mu`):
 * 'dn' = [d, n] with p = 1 (paper MNIST), 'dnp' = [d, n, p] (ViT, vmoe, fkodom), 'npd' = [n, p, d] (lucidrains),
 * 'dynamic' = a Linear weight [n·d, d] that computes the slot embeddings from the input (lucidrains
 * DynamicSlotsSoftMoE; p = ⌈m/n⌉ depends on the number of tokens m).
 */
export type RouterAxes = 'dn' | 'dnp' | 'npd' | 'dynamic';

/**
 * Expert function between its two linear maps: ReLU (paper MNIST), exact GELU (timm, lucidrains), tanh-approximated
 * GELU (vmoe), GEGLU (lucidrains `geglu`: the first map gives 2h values, value half first, and the expert computes
 * value · GELU(gate)), or 'none' for experts that are ONE linear map (fkodom).
 */
export type ExpertActivation = 'relu' | 'gelu' | 'gelu-tanh' | 'geglu' | 'none';

/**
 * Where the expert weights are. Each expert is fc1 → activation → fc2, or one linear map.
 * - 'per-expert': one tensor per expert, PyTorch Linear order [out, in]: fc1[e] is [h, d] (or [2h, d] for GEGLU,
 *   value half first, gate half second), fc2[e] is [d, h]; biases [h] / [d].
 * - 'stacked': one tensor for all experts. order 'out-in' (timm stacked): fc1 [n, h, d], fc2 [n, d, h];
 *   order 'in-out' (Flax kernels): fc1 [n, d, h], fc2 [n, h, d]. Biases [n, h] / [n, d].
 * - 'linear': one linear map per expert, stacked input-major: weight [n, d, d], bias [n, d] (fkodom).
 */
export type ExpertTensors =
  | { kind: 'per-expert'; fc1: string[]; fc2: string[]; fc1Bias?: string[]; fc2Bias?: string[] }
  | { kind: 'stacked'; order: 'out-in' | 'in-out'; fc1: string; fc2: string; fc1Bias?: string; fc2Bias?: string }
  | { kind: 'linear'; weight: string; bias?: string };

/** A norm with a learnable gain (lucidrains' RMSNorm / LayerNorm on tokens and on slots). */
export interface NormTensors {
  gamma: string;
  /** LayerNorm's beta buffer (lucidrains `use_layernorm`). */
  beta?: string;
}

/**
 * The variant of the Soft MoE math a layer computes (docs/soft-moe-layouts.md, "The variants"). Together with the
 * sizes of LayerInfo it fully determines the forward pass; nothing else is decided by the layout's name.
 */
export interface SoftMoeVariant {
  /** Normalisation of tokens and router before the logits. */
  norm: TokenNorm;
  /** Experts receive the normalised tokens (paper, bwconrad, lucidrains) or the raw ones (vmoe). */
  expertsSeeNormalized: boolean;
  activation: ExpertActivation;
  /** 'static': learned slot parameters; 'dynamic': slot embeddings computed from the input (router axes 'dynamic'). */
  slots: 'static' | 'dynamic';
}

export interface DetectedLayer extends LayerInfo, SoftMoeVariant {
  layout: SoftMoeLayout;
  /**
   * For 'dynamic' slots `slotsPerExpert` is 0 here: it is ⌈m/n⌉ for m tokens, set when a model is built
   * (`layerConfig(det, tokens)`).
   */
  slotsPerExpert: number;
  /** The router parameter: `phi`, `slot_embeds`, `Router/mu` or `to_slot_embeds.0.weight`. */
  router: string;
  routerAxes: RouterAxes;
  /** The scalar that multiplies the normalised router (paper-mnist, ViT, vmoe when saved). Absent: 1. */
  scale?: string;
  /** lucidrains only: the norm on tokens and the norm on slot embeddings. */
  tokenNorm?: NormTensors;
  slotNorm?: NormTensors;
  experts: ExpertTensors;
  /** fkodom only, when its experts map d inputs to another width (out_features ≠ in_features). */
  outDim?: number;
  /** Every tensor this layer uses, router first (so a viewer can mark them and count their parameters). */
  tensors: string[];
}
