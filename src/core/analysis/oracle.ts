/**
 * The oracle: does ANY k-subset of experts make the model predict the label (a "specialised" subset, in the
 * paper's words)? Exhaustive over the C(n, k) subsets when that is within the budget (depth-first with prefix
 * sums, stopping at the first hit), else a greedy forward selection that adds the expert raising the label's margin
 * most, labelled greedy in the result. Fast path only (linear readout): a subset costs O(classes) or O(m·classes).
 */
import type { DropMode } from './schema';
import type { ReadoutBatch } from './readout';

/** Number of k-subsets of n, or Infinity past 2^53. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  const kk = Math.min(k, n - k);
  for (let i = 1; i <= kk; i++) {
    r = (r * (n - kk + i)) / i;
    if (r > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return Math.round(r);
}

/** Prediction equals `label` under first-max argmax. */
function predicts(v: Float64Array, o: number, c: number, label: number): boolean {
  const lv = v[o + label] as number;
  for (let j = 0; j < c; j++) {
    if (j === label) continue;
    const x = v[o + j] as number;
    if (j < label ? x >= lv : x > lv) return false;
  }
  return true;
}

export class OracleSearch {
  private readonly acc: Float64Array;
  private readonly num: Float64Array;
  private readonly den: Float64Array;
  private readonly leaf: Float64Array;

  constructor(private readonly r: ReadoutBatch) {
    const { n, m, c } = r;
    this.acc = new Float64Array((n + 1) * c);
    this.num = new Float64Array((n + 1) * m * c);
    this.den = new Float64Array((n + 1) * m);
    this.leaf = new Float64Array(c);
  }

  /** Exhaustive: is there a k-subset predicting `label` for input i? */
  exhaustive(i: number, k: number, label: number, drop: DropMode): boolean {
    const { m, c, bias } = this.r;
    if (drop === 'zero') {
      this.acc.set(bias, 0);
      return this.zeroRec(i, k, label, 0, 0);
    }
    this.num.fill(0, 0, m * c);
    this.den.fill(0, 0, m);
    return this.renormRec(i, k, label, 0, 0);
  }

  private zeroRec(i: number, k: number, label: number, start: number, depth: number): boolean {
    const { n, c, total } = this.r;
    const acc = this.acc;
    const base = depth * c;
    const next = base + c;
    for (let e = start; e <= n - (k - depth); e++) {
      const o = (i * n + e) * c;
      for (let j = 0; j < c; j++) acc[next + j] = (acc[base + j] as number) + (total[o + j] as number);
      if (depth + 1 === k) {
        if (predicts(acc, next, c, label)) return true;
      } else if (this.zeroRec(i, k, label, e + 1, depth + 1)) return true;
    }
    return false;
  }

  private renormRec(i: number, k: number, label: number, start: number, depth: number): boolean {
    const { n, m, c, contrib, mass } = this.r;
    const { num, den } = this;
    const mc = m * c;
    for (let e = start; e <= n - (k - depth); e++) {
      for (let t = 0; t < m; t++) {
        den[(depth + 1) * m + t] = (den[depth * m + t] as number) + (mass[(i * m + t) * n + e] as number);
        const o = ((i * m + t) * n + e) * c;
        for (let j = 0; j < c; j++) num[(depth + 1) * mc + t * c + j] = (num[depth * mc + t * c + j] as number) + (contrib[o + j] as number);
      }
      if (depth + 1 === k) {
        if (this.renormPredicts(depth + 1, label)) return true;
      } else if (this.renormRec(i, k, label, e + 1, depth + 1)) return true;
    }
    return false;
  }

  private renormPredicts(level: number, label: number): boolean {
    const { m, c, bias } = this.r;
    const lg = this.leaf;
    lg.set(bias);
    for (let t = 0; t < m; t++) {
      const dt = this.den[level * m + t] as number;
      if (dt <= 0) continue;
      const o = level * m * c + t * c;
      for (let j = 0; j < c; j++) lg[j] = (lg[j] as number) + (this.num[o + j] as number) / dt;
    }
    return predicts(lg, 0, c, label);
  }

  /**
   * Greedy forward selection: at each step add the expert that maximises the label's margin over the best other
   * class. found[k] = the greedy k-subset predicts the label (k = 1..n).
   */
  greedy(label: number, logitsOf: (members: number[], k: number, out: Float64Array) => void): boolean[] {
    const { n, c } = this.r;
    const chosen: number[] = [];
    const used = new Uint8Array(n);
    const found: boolean[] = [false];
    const lg = new Float64Array(c);
    for (let k = 1; k <= n; k++) {
      let bestE = -1;
      let bestMargin = -Infinity;
      let bestHit = false;
      for (let e = 0; e < n; e++) {
        if (used[e]) continue;
        chosen.push(e);
        logitsOf(chosen, k, lg);
        chosen.pop();
        let other = -Infinity;
        for (let j = 0; j < c; j++) if (j !== label) other = Math.max(other, lg[j] as number);
        const margin = (lg[label] as number) - other;
        if (margin > bestMargin || bestE < 0) {
          bestMargin = margin;
          bestE = e;
          bestHit = predicts(lg, 0, c, label);
        }
      }
      chosen.push(bestE);
      used[bestE] = 1;
      found.push(bestHit);
    }
    return found;
  }
}
