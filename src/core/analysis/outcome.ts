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

export interface BatchOutcome {
  b: number;
  /** Full-model predictions [b]. */
  fullPred: Int32Array;
  drops: Partial<Record<DropMode, DropOutcome>>;
  /** Per MoE layer: 1 where the heuristic kept the expert (first drop mode) [ks × b × n]. */
  selected: Uint8Array[];
  /** Per MoE layer: the full model's routing arrays. */
  layers: LayerArrays[];
  /** Per MoE layer: heuristic scores of the full model (combine mass per expert) [b × n]. */
  scores: Float64Array[];
}
