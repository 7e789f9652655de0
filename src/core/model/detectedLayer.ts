/**
 * What layer detection finds: each Soft MoE layer's sizes (LayerInfo) plus the names of the tensors that hold it,
 * in a form the model engine can build from without looking at names again. Plain data, JSON-safe.
 */
import type { LayerInfo } from '../analysis/schema';

/** The checkpoint layouts of ../shared/notes/soft-moe-layouts.md. */
export type SoftMoeLayout = 'paper-mnist' | 'vit-experts' | 'vit-stacked' | 'lucidrains' | 'vmoe';

export const SOFT_MOE_LAYOUTS: readonly SoftMoeLayout[] = ['paper-mnist', 'vit-experts', 'vit-stacked', 'lucidrains', 'vmoe'];

/**
 * Axis order of the router tensor (Φ, slot embeddings or vmoe's `mu`):
 * 'dn' = [d, n] with p = 1 (paper MNIST), 'dnp' = [d, n, p] (ViT, vmoe), 'npd' = [n, p, d] (lucidrains).
 */
export type RouterAxes = 'dn' | 'dnp' | 'npd';

/** Expert activation: ReLU (paper MNIST), exact GELU (timm, lucidrains), tanh-approximated GELU (vmoe), GEGLU (lucidrains option). */
export type ExpertActivation = 'relu' | 'gelu' | 'gelu-tanh' | 'geglu';

/**
 * Where the expert MLP weights are. Each expert is fc1 → activation → fc2.
 * - 'per-expert': one tensor per expert, PyTorch Linear order [out, in]: fc1[e] is [h, d] (or [2h, d] for GEGLU,
 *   value half first, gate half second), fc2[e] is [d, h]; biases [h] / [d].
 * - 'stacked': one tensor for all experts. order 'out-in' (timm stacked): fc1 [n, h, d], fc2 [n, d, h];
 *   order 'in-out' (Flax kernels): fc1 [n, d, h], fc2 [n, h, d]. Biases [n, h] / [n, d].
 */
export type ExpertTensors =
  | { kind: 'per-expert'; fc1: string[]; fc2: string[]; fc1Bias?: string[]; fc2Bias?: string[] }
  | { kind: 'stacked'; order: 'out-in' | 'in-out'; fc1: string; fc2: string; fc1Bias?: string; fc2Bias?: string };

/** A norm with a learnable gain (lucidrains' RMSNorm / LayerNorm on tokens and on slots). */
export interface NormTensors {
  gamma: string;
  /** LayerNorm's beta buffer, when the checkpoint has one. */
  beta?: string;
}

export interface DetectedLayer extends LayerInfo {
  layout: SoftMoeLayout;
  /** The router parameter: `phi`, `slot_embeds` or `Router/mu`. */
  router: string;
  routerAxes: RouterAxes;
  /** The scalar that multiplies the normalised Φ. Always present for paper-mnist and ViT layers; absent for
   *  lucidrains (no scalar) and for vmoe checkpoints saved without `Router/scale`. */
  scale?: string;
  /** lucidrains only: the norm on tokens and the norm on slot embeddings. */
  tokenNorm?: NormTensors;
  slotNorm?: NormTensors;
  experts: ExpertTensors;
  activation: ExpertActivation;
  /** Every tensor this layer uses, router first (so a viewer can mark them and count their parameters). */
  tensors: string[];
}
