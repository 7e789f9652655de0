/**
 * What one batch yields, whichever path computed it: predictions per selector, drop mode and k, the heuristic's
 * choices, and the full model's routing arrays (for routing health, specialisation and samples).
 */
import type { DropMode } from './schema';
import type { CountedSelector } from './selectorRegistry';
import type { LayerArrays } from './scores';
import type { OracleBatch } from './oracle';

export interface DropOutcome {
  /** Per counted selector: predictions [ks × b] (kIndex·b + i). */
  counted: Partial<Record<CountedSelector, Int32Array>>;
  /** Random predictions [trials × ks × b]. */
  random?: Int32Array;
  /** Oracle: 1 where some k-subset predicts the label (and, `chance`, the drawn wrong label) [ks × b]; greedy flag per k. */
  oracle?: OracleBatch;
}

/**
 * Which experts a selector kept at one MoE layer for each k of `ks`: for k = ks[ki], the first k experts of each
 * input's order in row rows[ki] of `orders` (one row serves every k when the order does not depend on k — one MoE
 * layer — and a row per pass when each pass ranks the layer on its own masked upstream).
 */
export interface Selection {
  /** [rows × b × n]: a permutation of the experts per row and input. */
  orders: Int32Array;
  /** [ks]: the row each k keeps a prefix of. */
  rows: Int32Array;
}

export interface BatchOutcome {
  b: number;
  /** Full-model predictions [b]. */
  fullPred: Int32Array;
  drops: Partial<Record<DropMode, DropOutcome>>;
  /** Per MoE layer: which experts the heuristic kept at each k (first drop mode). */
  selected: Selection[];
  /** Per MoE layer: the full model's routing arrays. */
  layers: LayerArrays[];
  /** Per MoE layer: heuristic scores of the full model (combine mass per expert) [b × n]. */
  scores: Float64Array[];
}
