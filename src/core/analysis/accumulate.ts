/**
 * Folds one batch's outcome into the sufficient statistics: integer counts for every prediction, and per-batch
 * float64 totals added to exact sums for routing and specialisation (so the order of batches and shards is moot).
 */
import type { DropMode } from './schema';
import type { BatchOutcome } from './outcome';
import type { ResolvedOptions } from './options';
import { addExact, addExactVector } from './exactSum';
import { dispatchScores, softmaxShares, type LayerArrays } from './scores';
import type { AnalysisStats, DropStats, LayerStats } from './stats';

export function accumulateBatch(stats: AnalysisStats, out: BatchOutcome, labels: Int32Array, opts: ResolvedOptions, numClasses: number): void {
  const { b, fullPred } = out;
  const K = opts.ks.length;
  stats.numExamples += b;
  for (let i = 0; i < b; i++) {
    const y = labels[i] as number;
    stats.support[y] = (stats.support[y] as number) + 1;
    if (fullPred[i] === y) {
      stats.fullCorrect++;
      stats.fullCorrectPerClass[y] = (stats.fullCorrectPerClass[y] as number) + 1;
    }
  }
  for (const drop of opts.drops as DropMode[]) {
    const o = out.drops[drop];
    const s = stats.drops[drop] as DropStats;
    if (!o) continue;
    for (const [sel, preds] of Object.entries(o.counted)) {
      const counts = s.counted[sel as keyof DropStats['counted']] as number[];
      for (let ki = 0; ki < K; ki++) counts[ki] = (counts[ki] as number) + countCorrect(preds, ki * b, labels, b);
    }
    if (o.random && s.random) {
      s.random.forEach((row, t) => {
        for (let ki = 0; ki < K; ki++) row[ki] = (row[ki] as number) + countCorrect(o.random as Int32Array, (t * K + ki) * b, labels, b);
      });
    }
    if (o.oracle && s.oracle) {
      for (let ki = 0; ki < K; ki++) {
        let f = 0;
        for (let i = 0; i < b; i++) f += o.oracle.found[ki * b + i] as number;
        s.oracle.found[ki] = (s.oracle.found[ki] as number) + f;
        if (o.oracle.chance && s.oracle.chance) {
          let w = 0;
          for (let i = 0; i < b; i++) w += o.oracle.chance[ki * b + i] as number;
          s.oracle.chance[ki] = (s.oracle.chance[ki] as number) + w;
        }
        s.oracle.greedy[ki] = s.oracle.greedy[ki] === true || o.oracle.greedy[ki] === true;
      }
    }
  }
  const heur = out.drops[opts.drops[0] as DropMode]?.counted.heuristic;
  if (heur) {
    for (let ki = 0; ki < K; ki++) {
      for (let i = 0; i < b; i++) {
        const y = labels[i] as number;
        if (heur[ki * b + i] === y) stats.heuristicPerClass[ki * numClasses + y] = (stats.heuristicPerClass[ki * numClasses + y] as number) + 1;
      }
    }
  }
  out.layers.forEach((a, l) => accumulateLayer(stats.layers[l] as LayerStats, a, out.scores[l] as Float64Array, out.selected[l] as Uint8Array, labels, K, numClasses));
}

function countCorrect(preds: Int32Array, base: number, labels: Int32Array, b: number): number {
  let c = 0;
  for (let i = 0; i < b; i++) if (preds[base + i] === labels[i]) c++;
  return c;
}

function accumulateLayer(ls: LayerStats, a: LayerArrays, scores: Float64Array, selected: Uint8Array, labels: Int32Array, K: number, c: number): void {
  const { b, m, n, p, d, combine } = a;
  const cem = new Float64Array(c * n);
  const load = new Float64Array(n);
  const dload = new Float64Array(n);
  let entropy = 0;
  let top10 = 0;
  const topCount = Math.max(1, Math.ceil(n / 10));
  const tmp = new Float64Array(n);
  const share = new Float64Array(n);
  const ascending = new Float64Array(n);
  /** This batch's selection counts [K, c, n], added to the layer's at the end. */
  const chosen = new Int32Array(K * c * n);
  for (let i = 0; i < b; i++) {
    const y = labels[i] as number;
    let total = 0;
    for (let e = 0; e < n; e++) total += scores[i * n + e] as number;
    for (let e = 0; e < n; e++) {
      const v = total > 0 ? (scores[i * n + e] as number) / total : 0;
      share[e] = v;
      cem[y * n + e] = (cem[y * n + e] as number) + v;
      load[e] = (load[e] as number) + v;
    }
    // The largest shares, largest first (a typed array's sort is numeric and allocation-free).
    ascending.set(share);
    ascending.sort();
    for (let j = 0; j < topCount; j++) top10 += ascending[n - 1 - j] as number;
    const ds = softmaxShares(dispatchScores(a, i, tmp), tmp);
    for (let e = 0; e < n; e++) dload[e] = (dload[e] as number) + (ds[e] as number);
    for (let t = 0; t < m; t++) {
      const o = (i * m + t) * n * p;
      for (let s = 0; s < n * p; s++) {
        const w = combine[o + s] as number;
        if (w > 0) entropy -= w * Math.log(w);
      }
    }
    for (let ki = 0; ki < K; ki++) {
      const so = (ki * b + i) * n;
      const co = (ki * c + y) * n;
      for (let e = 0; e < n; e++) chosen[co + e] = (chosen[co + e] as number) + (selected[so + e] as number);
    }
  }
  const ces = ls.classExpertSelected;
  for (let j = 0; j < chosen.length; j++) ces[j] = (ces[j] as number) + (chosen[j] as number);
  addExactVector(ls.classExpertMass, cem);
  addExactVector(ls.load, load);
  addExactVector(ls.dispatchLoad, dload);
  addExact(ls.entropySum, entropy);
  addExact(ls.top10Sum, top10);
  ls.tokenCount += b * m;
  if (a.slotOutputs) {
    const y = a.slotOutputs;
    const sum = new Float64Array(n * d);
    for (let i = 0; i < b; i++) {
      for (let e = 0; e < n; e++) {
        for (let s = 0; s < p; s++) {
          const yo = ((i * n + e) * p + s) * d;
          const so = e * d;
          for (let j = 0; j < d; j++) sum[so + j] = (sum[so + j] as number) + (y[yo + j] as number);
        }
      }
    }
    addExactVector(ls.outputSum, sum);
    ls.outputCount += b * p;
  } else if (a.outputSum) {
    addExactVector(ls.outputSum, a.outputSum);
    ls.outputCount += b * p;
  }
}
