/**
 * The per-input expert orders of the counted selectors; the first k of an order is the selector's k-subset.
 *  heuristic   — Algorithm 1: combine mass summed over tokens and the expert's slots.
 *  batch       — Algorithm 2: the same score summed over the batch, one order for every input of the batch.
 *  dispatch    — unnormalised dispatch mass (scores.ts explains why not the normalised one).
 *  output-norm — combine-weighted norm of the expert's output.
 */
import { combineScores, dispatchScores, outputNormScores, rankDescending, type LayerArrays } from './scores';
import type { CountedSelector } from './stats';

/** The score each per-input selector ranks experts by (a new counted selector without one does not compile). */
const PER_INPUT_SCORES: Record<Exclude<CountedSelector, 'batch'>, typeof combineScores> = {
  heuristic: combineScores,
  dispatch: dispatchScores,
  'output-norm': outputNormScores,
};

/** Orders [b × n] for every input of the batch. */
export function selectorOrders(sel: CountedSelector, a: LayerArrays): Int32Array {
  const { b, n } = a;
  const orders = new Int32Array(b * n);
  const s = new Float64Array(n);
  if (sel === 'batch') {
    const total = new Float64Array(n);
    for (let i = 0; i < b; i++) {
      combineScores(a, i, s);
      for (let e = 0; e < n; e++) total[e] = (total[e] as number) + (s[e] as number);
    }
    const o = rankDescending(total);
    for (let i = 0; i < b; i++) orders.set(o, i * n);
    return orders;
  }
  const score = PER_INPUT_SCORES[sel];
  for (let i = 0; i < b; i++) rankDescending(score(a, i, s), orders.subarray(i * n, (i + 1) * n));
  return orders;
}

/** Heuristic scores [b × n] (combine mass per expert). */
export function heuristicScores(a: LayerArrays): Float64Array {
  const out = new Float64Array(a.b * a.n);
  for (let i = 0; i < a.b; i++) combineScores(a, i, out.subarray(i * a.n, (i + 1) * a.n));
  return out;
}

/** Mark the first k experts of each order as selected: selected[(kIndex·b + i)·n + e] = 1. */
export function markSelected(selected: Uint8Array, orders: Int32Array, b: number, n: number, k: number, kIndex: number): void {
  for (let i = 0; i < b; i++) {
    for (let a = 0; a < k; a++) selected[(kIndex * b + i) * n + (orders[i * n + a] as number)] = 1;
  }
}
