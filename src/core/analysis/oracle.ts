/**
 * The oracle: does ANY k-subset of experts make the model predict the label (a "specialised" subset, in the
 * paper's words)? Exhaustive over the C(n, k) subsets when that is within the budget (depth-first with prefix
 * sums, stopping at the first hit), else a greedy forward selection that adds the expert raising the label's margin
 * most, labelled greedy in the result. Fast path only (linear readout): a subset costs O(classes) or O(m·classes).
 *
 * Its chance level: with enough subsets, some subset predicts almost anything. So for every input the same search
 * runs a second time for a WRONG label, drawn uniformly from the other classes by a stream seeded with (seed, the
 * input's index in the dataset) — the share of inputs for which that succeeds is the `chance` of each k, and
 * oracle − chance (the `excess`) is what the true label adds.
 */
import type { DropMode } from './schema';
import type { ReadoutBatch, ReadoutEvaluator } from './readout';
import { createPrng, mixSeed } from '../train/prng';

/** Salt of the wrong-label stream, so it never coincides with the random-subset stream of the same input. */
const CHANCE_STREAM = 0x0c4a4ce;

/** The wrong label of the input at `index`: uniform over the classes other than `label` (requires classes ≥ 2). */
export function chanceLabel(seed: number, index: number, label: number, classes: number): number {
  const r = createPrng(mixSeed(seed, index, CHANCE_STREAM)).int(classes - 1);
  return r >= label ? r + 1 : r;
}

export interface OracleBatch {
  /** 1 where some k-subset predicts the label [ks × b]. */
  found: Uint8Array;
  /** 1 where some k-subset predicts the input's drawn wrong label [ks × b]; absent with a single class. */
  chance?: Uint8Array;
  /** Per k: the search was greedy (C(n, k) above the budget). */
  greedy: boolean[];
}

/**
 * Both searches for every input of a batch, for one drop mode. `counted` holds the predictions of the counted
 * selectors [ks × b] (their subsets are k-subsets too, so a selector that already predicts the target is a hit
 * without searching — for the true and the wrong label alike, and in the greedy search as well as the exhaustive).
 */
export function oracleBatch(
  rb: ReadoutBatch, ev: ReadoutEvaluator, ks: number[], labels: Int32Array, start: number, seed: number,
  budget: number, drop: DropMode, counted: Int32Array[],
): OracleBatch {
  const { b, n, c } = rb;
  const K = ks.length;
  const search = new OracleSearch(rb);
  const greedy = ks.map((k) => binomial(n, k) > budget);
  const found = new Uint8Array(K * b);
  const chance = c >= 2 ? new Uint8Array(K * b) : undefined;
  const one = (i: number, target: number, out: Uint8Array): void => {
    let greedyFound: boolean[] | null = null;
    ks.forEach((k, ki) => {
      let hit = counted.some((preds) => preds[ki * b + i] === target);
      if (!hit && !greedy[ki]) hit = search.exhaustive(i, k, target, drop);
      else if (!hit) {
        greedyFound ??= search.greedy(target, (members, kk, outLg) => ev.logitsOf(i, members, kk, drop, outLg));
        hit = greedyFound[k] === true;
      }
      if (hit) out[ki * b + i] = 1;
    });
  };
  for (let i = 0; i < b; i++) {
    const label = labels[i] as number;
    one(i, label, found);
    if (chance) one(i, chanceLabel(seed, start + i, label, c), chance);
  }
  return { found, greedy, ...(chance ? { chance } : {}) };
}

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

/** Leaves a renorm search tries before it computes its size bound (most reachable labels are found by then). */
const PROBE_LEAVES = 200;

/**
 * max over k-subsets Q of Σ_Q a / Σ_Q w (w ≥ 0; a subset of zero total weight counts 0), by Dinkelbach's
 * iteration. Returns an upper bound: the value at convergence, nudged up by rounding slack.
 */
function bestMean(a: Float64Array, w: Float64Array, k: number, score: Float64Array, idx: Int32Array): number {
  const n = a.length;
  const pickTop = (lambda: number): [number, number, number] => {
    for (let e = 0; e < n; e++) {
      score[e] = (a[e] as number) - lambda * (w[e] as number);
      idx[e] = e;
    }
    idx.sort((x, y) => (score[y] as number) - (score[x] as number));
    let sa = 0;
    let sw = 0;
    let sv = 0;
    for (let q = 0; q < k; q++) {
      const e = idx[q] as number;
      sa += a[e] as number;
      sw += w[e] as number;
      sv += score[e] as number;
    }
    return [sa, sw, sv];
  };
  const [sa, sw] = pickTop(0);
  let lambda = sw > 0 ? sa / sw : 0;
  for (let iter = 0; iter < 60; iter++) {
    const [na, nw, value] = pickTop(lambda);
    // max_Q Σ (a − λw) ≤ 0 means no k-subset has a mean above λ.
    if (value <= 1e-12 * (1 + Math.abs(na))) break;
    const next = nw > 0 ? na / nw : Infinity;
    if (!(next > lambda)) break;
    lambda = next;
  }
  // A subset of zero total weight contributes 0 to its token: the bound covers it when k such experts exist.
  let massless = 0;
  for (let e = 0; e < n; e++) if (!((w[e] as number) > 0)) massless++;
  const best = massless >= k ? Math.max(lambda, 0) : lambda;
  return best + 1e-9 * (1 + Math.abs(best));
}

export class OracleSearch {
  private readonly acc: Float64Array;
  private readonly num: Float64Array;
  private readonly den: Float64Array;
  private readonly leaf: Float64Array;
  /**
   * Branch-and-bound tables for the (input, target) of the last search (every k of one input shares them). A
   * subtree is cut only when some competing class beats the target in EVERY subset it holds, by an upper bound on
   * the target's margin (below), with a tolerance for rounding — so the search finds exactly what enumerating every
   * subset finds, only faster (most of all for the chance level, where many searches fail).
   *   zero:   margin over class c of a subset S = (bias_y − bias_c) + Σ_{e∈S} d_c[e]; with r experts still to pick
   *           from e ≥ s it is at most the current margin + the r largest d_c[e] of that suffix (`sufTop`).
   *   renorm: each token's term (A_P + A_Q) / (W_P + W_Q) — P picked, Q the r experts still to pick — is a weighted
   *           mean of the picked ratio A_P / W_P and of per-expert ratios a_e / w_e of Q, so it is at most the larger
   *           of the picked ratio and the suffix's largest expert ratio (`sufMax`).
   */
  private boundFor = '';
  /** The class that last beat the target at a renorm leaf (checked first at the next one). */
  private killer = -1;
  /** renorm: leaves the current search may still try, and whether it stopped for that reason. */
  private budget = Infinity;
  private outOfBudget = false;
  private target = -1;
  private sufTop = new Float64Array(0);
  private sufMax = new Float64Array(0);
  private baseMargin = new Float64Array(0);

  constructor(private readonly r: ReadoutBatch) {
    const { n, m, c } = r;
    this.acc = new Float64Array((n + 1) * c);
    this.num = new Float64Array((n + 1) * m * c);
    this.den = new Float64Array((n + 1) * m);
    this.leaf = new Float64Array(Math.max(c, m));
  }

  /** Exhaustive: is there a k-subset predicting `label` for input i? */
  exhaustive(i: number, k: number, label: number, drop: DropMode): boolean {
    const { m, c, bias } = this.r;
    this.prepareBounds(i, label, drop);
    if (drop === 'zero') {
      this.acc.set(bias, 0);
      if (this.zeroCut(0, 0, k)) return false;
      return this.zeroRec(i, k, label, 0, 0);
    }
    this.num.fill(0, 0, m * c);
    this.den.fill(0, 0, m);
    if (this.renormCut(0, 0, k)) return false;
    // A reachable label is usually found among the first subsets: look there before paying for the size bound.
    this.budget = PROBE_LEAVES;
    this.outOfBudget = false;
    const probed = this.renormRec(i, k, label, 0, 0);
    this.budget = Infinity;
    if (probed || !this.outOfBudget) return probed;
    if (this.renormSizeCut(i, k, label)) return false;
    this.outOfBudget = false;
    return this.renormRec(i, k, label, 0, 0);
  }

  /**
   * renorm, before searching the k-subsets: for each rival class, the largest each token's term can be over ANY
   * k experts — the best weighted mean (weights: the experts' combine mass) of their margins, found exactly by
   * Dinkelbach's iteration (λ ← ratio of the k experts with the largest a − λ·w) — summed over tokens. If even that
   * loses to a rival, no k-subset predicts the label. Tighter than the single best expert when masses are similar
   * (they are: Soft MoE's combine weights are spread), since then k experts must share each token's weight.
   */
  private renormSizeCut(i: number, k: number, label: number): boolean {
    const { n, m, c, contrib, mass } = this.r;
    const a = new Float64Array(n);
    const w = new Float64Array(n);
    const score = new Float64Array(n);
    const idx = Int32Array.from({ length: n }, (_, e) => e);
    for (let j = 0; j < c; j++) {
      if (j === label) continue;
      let bound = this.baseMargin[j] as number;
      for (let t = 0; t < m; t++) {
        for (let e = 0; e < n; e++) {
          const we = mass[(i * m + t) * n + e] as number;
          const o = ((i * m + t) * n + e) * c;
          w[e] = we > 0 ? we : 0;
          a[e] = we > 0 ? (contrib[o + label] as number) - (contrib[o + j] as number) : 0;
        }
        bound += bestMean(a, w, k, score, idx);
        if (!Number.isFinite(bound)) break;
      }
      if (bound < -1e-9 * (1 + Math.abs(bound))) return true;
    }
    return false;
  }

  private prepareBounds(i: number, label: number, drop: DropMode): void {
    const key = `${i}/${label}/${drop}`;
    if (this.boundFor === key) return;
    this.boundFor = key;
    this.target = label;
    const { n, m, c, total, contrib, mass, bias } = this.r;
    this.baseMargin = Float64Array.from({ length: c }, (_, j) => (bias[label] as number) - (bias[j] as number));
    if (drop === 'zero') {
      // sufTop[(j·(n+1) + s)·(n+1) + r]: the r largest d_j[e] for e ≥ s, summed.
      const N1 = n + 1;
      if (this.sufTop.length !== c * N1 * N1) this.sufTop = new Float64Array(c * N1 * N1);
      const vals: number[] = [];
      for (let j = 0; j < c; j++) {
        vals.length = 0;
        for (let s = n; s >= 0; s--) {
          if (s < n) {
            const o = (i * n + s) * c;
            const v = (total[o + label] as number) - (total[o + j] as number);
            let at = vals.length;
            vals.push(v);
            while (at > 0 && (vals[at - 1] as number) < v) {
              vals[at] = vals[at - 1] as number;
              at--;
            }
            vals[at] = v;
          }
          let sum = 0;
          const row = (j * N1 + s) * N1;
          this.sufTop[row] = 0;
          for (let r = 1; r <= n - s; r++) {
            sum += vals[r - 1] as number;
            this.sufTop[row + r] = sum;
          }
        }
      }
      return;
    }
    // sufMax[(j·m + t)·(n+1) + s]: max over e ≥ s of expert e's ratio for token t (0 for a massless expert).
    const N1 = n + 1;
    if (this.sufMax.length !== c * m * N1) this.sufMax = new Float64Array(c * m * N1);
    for (let j = 0; j < c; j++) {
      for (let t = 0; t < m; t++) {
        const row = (j * m + t) * N1;
        this.sufMax[row + n] = -Infinity;
        for (let s = n - 1; s >= 0; s--) {
          this.sufMax[row + s] = Math.max(this.sufMax[row + s + 1] as number, this.ratio(i, t, s, label, j, mass, contrib, m, n, c));
        }
      }
    }
  }

  private ratio(i: number, t: number, e: number, label: number, j: number, mass: Float64Array, contrib: Float64Array, m: number, n: number, c: number): number {
    const w = mass[(i * m + t) * n + e] as number;
    if (!(w > 0)) return 0;
    const o = ((i * m + t) * n + e) * c;
    return ((contrib[o + label] as number) - (contrib[o + j] as number)) / w;
  }

  /** True when no completion of the subset at `depth` (r more experts from e ≥ s) can predict the target. */
  private zeroCut(depth: number, s: number, r: number): boolean {
    const { n, c } = this.r;
    const label = this.target;
    const N1 = n + 1;
    const base = depth * c;
    for (let j = 0; j < c; j++) {
      if (j === label) continue;
      const margin = (this.acc[base + label] as number) - (this.acc[base + j] as number);
      const bound = margin + (this.sufTop[(j * N1 + s) * N1 + r] as number);
      if (bound < -1e-9 * (1 + Math.abs(margin))) return true;
    }
    return false;
  }

  private renormCut(depth: number, s: number, r: number): boolean {
    const { n, m, c } = this.r;
    const label = this.target;
    const N1 = n + 1;
    const mc = m * c;
    for (let j = 0; j < c; j++) {
      if (j === label) continue;
      let bound = this.baseMargin[j] as number;
      for (let t = 0; t < m; t++) {
        const w = this.den[depth * m + t] as number;
        const current = w > 0 ? ((this.num[depth * mc + t * c + label] as number) - (this.num[depth * mc + t * c + j] as number)) / w : -Infinity;
        const rest = r > 0 ? (this.sufMax[(j * m + t) * N1 + s] as number) : -Infinity;
        const best = Math.max(current, rest);
        bound += best === -Infinity ? 0 : best;
      }
      if (bound < -1e-9 * (1 + Math.abs(bound))) return true;
    }
    return false;
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
      } else if (!this.zeroCut(depth + 1, e + 1, k - depth - 1) && this.zeroRec(i, k, label, e + 1, depth + 1)) return true;
    }
    return false;
  }

  private renormRec(i: number, k: number, label: number, start: number, depth: number): boolean {
    const { n, m, c, contrib, mass } = this.r;
    const { num, den } = this;
    const mc = m * c;
    if (depth + 1 === k) return this.renormLeaves(i, label, start, depth);
    for (let e = start; e <= n - (k - depth); e++) {
      for (let t = 0; t < m; t++) {
        den[(depth + 1) * m + t] = (den[depth * m + t] as number) + (mass[(i * m + t) * n + e] as number);
        const o = ((i * m + t) * n + e) * c;
        for (let j = 0; j < c; j++) num[(depth + 1) * mc + t * c + j] = (num[depth * mc + t * c + j] as number) + (contrib[o + j] as number);
      }
      // (Cuts below the root were measured to prune too little to pay for themselves: the root's is kept.)
      if (this.renormRec(i, k, label, e + 1, depth + 1)) return true;
      if (this.outOfBudget) return false;
    }
    return false;
  }

  /**
   * The last expert of a k-subset, for each candidate e ≥ start: does (subset at `depth`) + e predict `label`? The
   * logits are formed only as far as needed — the label's, then the other classes one by one until one beats it,
   * starting with the class that beat it last time (usually the one that does again) — with exactly the arithmetic
   * of summing the subset first and dividing per token, so the answer is the same as forming every logit.
   */
  private renormLeaves(i: number, label: number, start: number, depth: number): boolean {
    const { n, m, c, contrib, mass, bias } = this.r;
    const { num, den } = this;
    const d = this.leaf;
    const mc = m * c;
    const nb = depth * mc;
    const logit = (e: number, j: number): number => {
      let v = bias[j] as number;
      for (let t = 0; t < m; t++) {
        const dt = d[t] as number;
        if (dt > 0) v += ((num[nb + t * c + j] as number) + (contrib[((i * m + t) * n + e) * c + j] as number)) / dt;
      }
      return v;
    };
    for (let e = start; e < n; e++) {
      if (--this.budget < 0) {
        this.outOfBudget = true;
        return false;
      }
      for (let t = 0; t < m; t++) d[t] = (den[depth * m + t] as number) + (mass[(i * m + t) * n + e] as number);
      const lv = logit(e, label);
      let beaten = false;
      const killer = this.killer;
      if (killer >= 0 && killer !== label) {
        const x = logit(e, killer);
        beaten = killer < label ? x >= lv : x > lv;
      }
      for (let j = 0; j < c && !beaten; j++) {
        if (j === label || j === killer) continue;
        const x = logit(e, j);
        if (j < label ? x >= lv : x > lv) {
          beaten = true;
          this.killer = j;
        }
      }
      if (!beaten) return true;
    }
    return false;
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
