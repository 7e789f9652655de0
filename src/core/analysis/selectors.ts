/**
 * The per-input expert orders of the counted selectors; the first k of an order is the selector's k-subset.
 * Scores and scopes come from the registry (selectorRegistry.ts): a per-input selector ranks each input's experts by
 * its score, a per-batch one ranks the score summed over the batch (one order for every input of the batch), and
 * the global selector's order is fixed beforehand on a calibration split (globalSelection.ts, `fixedOrders`).
 */
import { combineScores, dispatchScores, expertChoiceScores, outputNormScores, rankDescending, tokenChoiceScores, type LayerArrays } from './scores';
import { selectorSpec, type CountedSelector, type ScoreName } from './selectorRegistry';
import { SoftMoeError } from '../errors';

/** Scores of the n experts for input i of a layer's routing (higher = kept first), written to `out`. */
export type ScoreFn = (a: LayerArrays, i: number, out?: Float64Array<ArrayBuffer>) => Float64Array;

/** The function behind each score the registry names. */
export const SCORE_FUNCTIONS: Record<ScoreName, ScoreFn> = {
  'combine-mass': combineScores,
  'dispatch-mass': dispatchScores,
  'output-norm': outputNormScores,
  'token-votes': tokenChoiceScores,
  'expert-choice': expertChoiceScores,
};

/** Orders [b × n] for every input of the batch. */
export function selectorOrders(sel: CountedSelector, a: LayerArrays): Int32Array {
  const { b, n } = a;
  const spec = selectorSpec(sel);
  const score = spec.score ? SCORE_FUNCTIONS[spec.score] : undefined;
  if (!score) throw new SoftMoeError('E_INTERNAL', `Internal error: selector '${sel}' has no per-input score; its order is fixed by its calibration.`);
  const orders = new Int32Array(b * n);
  const s = new Float64Array(n);
  const tb = spec.tieBreak ? SCORE_FUNCTIONS[spec.tieBreak] : undefined;
  const t = tb ? new Float64Array(n) : undefined;
  if (spec.scope === 'per-batch') {
    const total = new Float64Array(n);
    const tieTotal = tb ? new Float64Array(n) : undefined;
    for (let i = 0; i < b; i++) {
      score(a, i, s);
      for (let e = 0; e < n; e++) total[e] = (total[e] as number) + (s[e] as number);
      if (tb && tieTotal && t) {
        tb(a, i, t);
        for (let e = 0; e < n; e++) tieTotal[e] = (tieTotal[e] as number) + (t[e] as number);
      }
    }
    const o = rankDescending(total, undefined, tieTotal);
    for (let i = 0; i < b; i++) orders.set(o, i * n);
    return orders;
  }
  for (let i = 0; i < b; i++) rankDescending(score(a, i, s), orders.subarray(i * n, (i + 1) * n), tb && t ? tb(a, i, t) : undefined);
  return orders;
}

/** One fixed order (a global selection) repeated for the b inputs of a batch: [b × n]. */
export function fixedOrders(order: ArrayLike<number>, b: number): Int32Array {
  const n = order.length;
  const out = new Int32Array(b * n);
  for (let i = 0; i < b; i++) for (let e = 0; e < n; e++) out[i * n + e] = order[e] as number;
  return out;
}

/** Heuristic scores [b × n] (combine mass per expert). */
export function heuristicScores(a: LayerArrays): Float64Array {
  const out = new Float64Array(a.b * a.n);
  for (let i = 0; i < a.b; i++) combineScores(a, i, out.subarray(i * a.n, (i + 1) * a.n));
  return out;
}
