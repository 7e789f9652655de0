/**
 * Folds one batch's outcome into the sufficient statistics: integer counts for every prediction, and per-batch
 * float64 totals added to exact sums for routing and specialisation (so the order of batches and shards is moot).
 */
import type { DropMode } from './schema';
import type { BatchOutcome, Selection } from './outcome';
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
  out.layers.forEach((a, l) => accumulateLayer(stats.layers[l] as LayerStats, a, out.scores[l] as Float64Array, out.selected[l] as Selection, labels, opts.ks, numClasses));
}

function countCorrect(preds: Int32Array, base: number, labels: Int32Array, b: number): number {
  let c = 0;
  for (let i = 0; i < b; i++) if (preds[base + i] === labels[i]) c++;
  return c;
}

function accumulateLayer(ls: LayerStats, a: LayerArrays, scores: Float64Array, selected: Selection, labels: Int32Array, ks: number[], c: number): void {
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
  const sel = selectionCounter(selected, ks, b, n, c);
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
    sel.add(i, y);
  }
  sel.addTo(ls.classExpertSelected);
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

/**
 * Counts how often each expert was kept, per k and class (classExpertSelected [ks × c × n]), from a Selection's
 * prefixes in O(n) per input and row rather than O(ks × n): the expert at position a of a row's order is kept by
 * every k of that row above a — a suffix of the row's ks in ascending order — so one count is added where that
 * suffix starts and summed up the row's ks at the end.
 */
export function selectionCounter(selected: Selection, ks: number[], b: number, n: number, c: number) {
  const R = selected.orders.length / (b * n);
  const byRow: number[][] = Array.from({ length: R }, () => []);
  ks.forEach((_, ki) => (byRow[selected.rows[ki] as number] as number[]).push(ki));
  for (const kis of byRow) kis.sort((x, y) => (ks[x] as number) - (ks[y] as number));
  const base: number[] = [];
  let size = 0;
  for (const kis of byRow) {
    base.push(size);
    size += kis.length * c * n;
  }
  /** [row][position in the row's ks][class][expert]: kept from that k upwards. */
  const starts = new Int32Array(size);
  const orders = selected.orders;
  return {
    add(i: number, y: number): void {
      for (let r = 0; r < R; r++) {
        const kis = byRow[r] as number[];
        const len = kis.length;
        if (len === 0) continue;
        const rb = (base[r] as number) + y * n;
        const o = (r * b + i) * n;
        let j = 0;
        for (let a = 0; a < n; a++) {
          while (j < len && (ks[kis[j] as number] as number) <= a) j++;
          if (j === len) break;
          const at = rb + j * c * n + (orders[o + a] as number);
          starts[at] = (starts[at] as number) + 1;
        }
      }
    },
    addTo(out: number[]): void {
      for (let r = 0; r < R; r++) {
        const kis = byRow[r] as number[];
        for (let ye = 0; ye < c * n; ye++) {
          let kept = 0;
          for (let j = 0; j < kis.length; j++) {
            kept += starts[(base[r] as number) + j * c * n + ye] as number;
            const at = (kis[j] as number) * c * n + ye;
            out[at] = (out[at] as number) + kept;
          }
        }
      }
    },
  };
}
