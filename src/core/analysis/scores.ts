/**
 * Expert scores of one input at one MoE layer, from the layer's host-side routing arrays
 * (router logits, combine C and dispatch D [b, m, n, p], slot outputs Ỹ [b, n, p, d]), and the ranking they induce.
 * Which selector uses which score: selectorRegistry.ts.
 */
import type { LayerTrace } from '../engine/engine';
import { argmaxAt } from './readout';

/** One layer's routing on the rows of a batch: the engine interface's host arrays (engine.ts). */
export type LayerArrays = LayerTrace;

/** Rows [first, first + count) of a layer's routing, as views (no copy). */
export function sliceRows(a: LayerArrays, first: number, count: number): LayerArrays {
  const r = a.m * a.n * a.p;
  const out: LayerArrays = {
    b: count, m: a.m, n: a.n, p: a.p, d: a.d,
    logits: a.logits.subarray(first * r, (first + count) * r),
    combine: a.combine.subarray(first * r, (first + count) * r),
    dispatch: a.dispatch.subarray(first * r, (first + count) * r),
  };
  if (a.slotOutputs) out.slotOutputs = a.slotOutputs.subarray(first * a.n * a.p * a.d, (first + count) * a.n * a.p * a.d);
  return out;
}

/** Algorithm 1's score: combine weight summed over tokens and the expert's slots (sums to m over experts). */
export function combineScores(a: LayerArrays, i: number, out = new Float64Array(a.n)): Float64Array {
  const { m, n, p, combine } = a;
  out.fill(0);
  const base = i * m * n * p;
  for (let t = 0; t < m; t++) {
    for (let e = 0; e < n; e++) {
      let s = 0;
      const o = base + (t * n + e) * p;
      for (let q = 0; q < p; q++) s += combine[o + q] as number;
      out[e] = (out[e] as number) + s;
    }
  }
  return out;
}

/**
 * Dispatch score: the log of the expert's UNNORMALISED dispatch mass Σ_{t, s∈e} exp(logit[t, s]), up to a constant
 * per input. (Normalised dispatch weights sum to 1 over tokens for every slot, so their plain sum is p for every
 * expert and cannot rank.) Recovered from the trace: log C[t,s] − log D[t,s] = log W_s − log Z_t, averaged over the
 * tokens where neither underflowed.
 */
export function dispatchScores(a: LayerArrays, i: number, out = new Float64Array(a.n)): Float64Array {
  const { m, n, p, combine, dispatch } = a;
  const base = i * m * n * p;
  const logs = new Float64Array(p);
  for (let e = 0; e < n; e++) {
    let best = -Infinity;
    for (let q = 0; q < p; q++) {
      let sum = 0;
      let cnt = 0;
      for (let t = 0; t < m; t++) {
        const o = base + (t * n + e) * p + q;
        const c = combine[o] as number;
        const dd = dispatch[o] as number;
        if (c > 0 && dd > 0) {
          sum += Math.log(c) - Math.log(dd);
          cnt++;
        }
      }
      const v = cnt > 0 ? sum / cnt : -Infinity;
      logs[q] = v;
      if (v > best) best = v;
    }
    if (best === -Infinity) {
      out[e] = -Infinity;
      continue;
    }
    let s = 0;
    for (let q = 0; q < p; q++) s += Math.exp((logs[q] as number) - best);
    out[e] = best + Math.log(s);
  }
  return out;
}

/** Combine-weighted output norm: Σ_t ‖Σ_{s∈e} C[t,s]·Ỹ[s]‖ (what the expert adds to each token, in size). */
export function outputNormScores(a: LayerArrays, i: number, out = new Float64Array(a.n)): Float64Array {
  const { m, n, p, d, combine } = a;
  const y = a.slotOutputs as Float32Array;
  const v = new Float64Array(d);
  const cb = i * m * n * p;
  const yb = i * n * p * d;
  for (let e = 0; e < n; e++) {
    let total = 0;
    for (let t = 0; t < m; t++) {
      v.fill(0);
      for (let q = 0; q < p; q++) {
        const c = combine[cb + (t * n + e) * p + q] as number;
        const yo = yb + (e * p + q) * d;
        for (let j = 0; j < d; j++) v[j] = (v[j] as number) + c * (y[yo + j] as number);
      }
      let sq = 0;
      for (let j = 0; j < d; j++) sq += (v[j] as number) * (v[j] as number);
      total += Math.sqrt(sq);
    }
    out[e] = total;
  }
  return out;
}

/**
 * Token choice (the routing of Puigcerver et al. 2023, §3.2, read on a Soft MoE's router): every token votes for the
 * expert that owns its highest router logit over all n·p slots (the first such slot on exact ties); an expert's
 * score is its number of votes (0…m). Ties between experts are broken by combine mass (the registry's tieBreak).
 */
export function tokenChoiceScores(a: LayerArrays, i: number, out = new Float64Array(a.n)): Float64Array {
  const { m, n, p } = a;
  const logits = a.logits;
  const S = n * p;
  out.fill(0);
  for (let t = 0; t < m; t++) {
    const e = Math.floor(argmaxAt(logits, (i * m + t) * S, S) / p);
    out[e] = (out[e] as number) + 1;
  }
  return out;
}

/** Tokens each slot takes under expert choice: ⌈m/n⌉ (capacity factor 1 spread over the n experts), at least 1. */
export function expertChoiceCapacity(m: number, n: number): number {
  return Math.min(m, Math.max(1, Math.ceil(m / n)));
}

/**
 * Expert choice (Zhou et al. 2022, as in Puigcerver et al. 2023, §3.2): every slot (e, s) picks the
 * c = ⌈m/n⌉ tokens with the highest router logit for it; expert e's score is the sum of those picked logits over
 * its p slots, Σ_s Σ_{t ∈ top_c(s)} logit[t, e, s]. Ties between experts are broken by combine mass.
 */
export function expertChoiceScores(a: LayerArrays, i: number, out = new Float64Array(a.n)): Float64Array {
  const { m, n, p } = a;
  const logits = a.logits;
  const c = expertChoiceCapacity(m, n);
  const col = new Float64Array(m);
  const base = i * m * n * p;
  for (let e = 0; e < n; e++) {
    let total = 0;
    for (let s = 0; s < p; s++) {
      for (let t = 0; t < m; t++) col[t] = logits[base + (t * n + e) * p + s] as number;
      col.sort();
      for (let j = 0; j < c; j++) total += col[m - 1 - j] as number;
    }
    out[e] = total;
  }
  return out;
}

/**
 * Experts by score, highest first; equal scores are ordered by `tie` (higher first) when given, and what is still
 * equal keeps the lower index first.
 */
export function rankDescending(scores: ArrayLike<number>, out = new Int32Array(scores.length), tie?: ArrayLike<number>): Int32Array {
  const n = scores.length;
  for (let e = 0; e < n; e++) out[e] = e;
  const before = (x: number, y: number): boolean => {
    const sx = scores[x] as number;
    const sy = scores[y] as number;
    if (sx !== sy) return sx > sy;
    return tie !== undefined && (tie[x] as number) > (tie[y] as number);
  };
  // Insertion sort: n is small (experts), and it is stable.
  for (let a = 1; a < n; a++) {
    const e = out[a] as number;
    let b = a - 1;
    while (b >= 0 && before(e, out[b] as number)) {
      out[b + 1] = out[b] as number;
      b--;
    }
    out[b + 1] = e;
  }
  return out;
}

/** Softmax of log-scores (for shares that sum to 1), into `out` (which may be `logs` itself). */
export function softmaxShares(logs: ArrayLike<number>, out = new Float64Array(logs.length)): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logs.length; i++) max = Math.max(max, logs[i] as number);
  if (max === -Infinity) return out.fill(0);
  let s = 0;
  for (let i = 0; i < logs.length; i++) {
    const v = Math.exp((logs[i] as number) - max);
    out[i] = v;
    s += v;
  }
  for (let i = 0; i < logs.length; i++) out[i] = (out[i] as number) / s;
  return out;
}
