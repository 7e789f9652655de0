/**
 * The `global` selector: ONE subset of k experts per MoE layer for every input — what a user can deploy (a pruned
 * checkpoint, src/core/prune) — chosen on a calibration split that is never the evaluation examples.
 *
 * Rankings (`GlobalRanking`):
 *   eliminate   — greedy backward elimination on calibration accuracy: start from all n experts; at every step, for
 *                 each MoE layer in forward order, remove the expert whose removal keeps the most calibration inputs
 *                 correct (the other layers at their current subsets). Ties: the expert with the least dataset-mean
 *                 combine mass goes first, then the higher index. Drop-mode specific. n(n+1)/2 − 1 subset evaluations
 *                 per layer: host arithmetic on linear-readout models, masked passes otherwise.
 *   mass        — dataset-mean combine mass (each input's share per expert, averaged), highest kept longest.
 *   output-norm — dataset-mean combine-weighted output norm (the `output-norm` score), highest kept longest.
 * Each gives, per layer, an ORDER: the global k-subset is its first k experts, so the subsets are nested and one
 * calibration pass serves every k. The evaluation curve then runs these fixed subsets on the evaluation split.
 */
import type { DropMode, GlobalRanking, GlobalSelection } from './schema';
import { argmaxAt, type ReadoutBatch } from './readout';
import { fixedOrders } from './selectors';
import { SoftMoeError, throwIfAborted } from '../errors';

export const GLOBAL_RANKINGS: readonly GlobalRanking[] = ['eliminate', 'mass', 'output-norm'];

/**
 * Correct counts of global subsets on the calibration examples (the same subset for every input).
 * `sets[l]` is layer l's keep-mask [n] (1 = keep).
 */
export interface SubsetScorer {
  readonly numLayers: number;
  readonly numExperts: number;
  readonly examples: number;
  /** Correct predictions of the full model. */
  readonly fullCorrect: number;
  /** Per layer: dataset-mean combine-mass share of each expert [n]. */
  readonly meanMass: Float64Array[];
  /** Per layer: dataset-mean output-norm score [n] (when the scorer was built with slot outputs). */
  readonly meanOutputNorm?: Float64Array[];
  /**
   * Correct counts when layer `layer` drops one more expert, for each candidate in `candidates`, the other layers
   * at `sets`. [candidates.length]
   */
  correctWithout(drop: DropMode, sets: Uint8Array[], layer: number, candidates: number[]): Promise<Int32Array>;
  /** Correct count with exactly `sets`. */
  correctWith(drop: DropMode, sets: Uint8Array[]): Promise<number>;
}

export interface GlobalChoice {
  orders: Partial<Record<DropMode, number[][]>>;
  /** Per drop: calibration correct counts of the global k-subsets, index k − 1 (k = 1…n). */
  correct: Partial<Record<DropMode, number[]>>;
}

/** Choose the global orders (per drop mode, per layer) with `ranking`. */
export async function chooseGlobal(scorer: SubsetScorer, ranking: GlobalRanking, drops: readonly DropMode[], signal?: AbortSignal): Promise<GlobalChoice> {
  const { numLayers: L, numExperts: n } = scorer;
  const out: GlobalChoice = { orders: {}, correct: {} };
  for (const drop of drops) {
    if (ranking === 'eliminate') {
      const sets = Array.from({ length: L }, () => new Uint8Array(n).fill(1));
      const removed: number[][] = Array.from({ length: L }, () => []);
      const correct = new Array<number>(n).fill(0);
      correct[n - 1] = drop === 'zero' ? scorer.fullCorrect : await scorer.correctWith(drop, sets);
      for (let size = n; size > 1; size--) {
        let last = 0;
        for (let l = 0; l < L; l++) {
          throwIfAborted(signal);
          const set = sets[l] as Uint8Array;
          const candidates = [...set.keys()].filter((e) => set[e] === 1);
          const counts = await scorer.correctWithout(drop, sets, l, candidates);
          const mass = scorer.meanMass[l] as Float64Array;
          let best = 0;
          for (let j = 1; j < candidates.length; j++) {
            const cj = counts[j] as number;
            const cb = counts[best] as number;
            const ej = candidates[j] as number;
            const eb = candidates[best] as number;
            if (cj > cb || (cj === cb && ((mass[ej] as number) < (mass[eb] as number) || ((mass[ej] as number) === (mass[eb] as number) && ej > eb)))) best = j;
          }
          const e = candidates[best] as number;
          set[e] = 0;
          (removed[l] as number[]).push(e);
          last = counts[best] as number;
        }
        correct[size - 2] = last;
      }
      out.orders[drop] = sets.map((set, l) => [...[...set.keys()].filter((e) => set[e] === 1), ...(removed[l] as number[]).slice().reverse()]);
      out.correct[drop] = correct;
    } else {
      const scores = ranking === 'mass' ? scorer.meanMass : scorer.meanOutputNorm;
      if (!scores) throw new SoftMoeError('E_INTERNAL', 'Internal error: the output-norm ranking needs a scorer built with slot outputs.');
      const orders = scores.map((s) => {
        const idx = Array.from({ length: n }, (_, e) => e);
        return idx.sort((a, b) => (s[b] as number) - (s[a] as number) || a - b);
      });
      const correct: number[] = [];
      for (let k = 1; k <= n; k++) {
        throwIfAborted(signal);
        const sets = orders.map((o) => {
          const m = new Uint8Array(n);
          for (const e of o.slice(0, k)) m[e] = 1;
          return m;
        });
        correct.push(k === n && drop === 'zero' ? scorer.fullCorrect : await scorer.correctWith(drop, sets));
      }
      out.orders[drop] = orders;
      out.correct[drop] = correct;
    }
  }
  return out;
}

/** The calibrated order of `layer` for `drop`, repeated for the b inputs of a batch [b × n]. */
export function globalOrders(ctx: { global?: Partial<Record<DropMode, number[][]>> }, drop: DropMode, layer: number, b: number): Int32Array {
  const order = ctx.global?.[drop]?.[layer];
  if (!order) throw new SoftMoeError('E_INTERNAL', `Internal error: no calibrated global subset for drop mode ${drop}, layer ${layer}.`);
  return fixedOrders(order, b);
}

/**
 * Scorer for models with ONE MoE layer and a linear readout, from the calibration batches' readout decompositions
 * (readout.ts): every subset is host arithmetic, and a removal is a difference from the current subset's sums.
 */
export function readoutScorer(batches: Array<{ rb: ReadoutBatch; labels: Int32Array }>, meanMass: Float64Array, meanOutputNorm?: Float64Array): SubsetScorer {
  const first = batches[0]?.rb;
  if (!first) throw new SoftMoeError('E_DATASET', 'The calibration split has no examples.');
  const { n, m, c } = first;
  let examples = 0;
  let fullCorrect = 0;
  const all = new Uint8Array(n).fill(1);
  const lg = new Float64Array(c);
  for (const { rb, labels } of batches) {
    examples += rb.b;
    for (let i = 0; i < rb.b; i++) {
      logitsOf(rb, i, all, 'zero', lg);
      if (argmaxAt(lg, 0, c) === labels[i]) fullCorrect++;
    }
  }
  const num = new Float64Array(m * c);
  const den = new Float64Array(m);
  function logitsOf(rb: ReadoutBatch, i: number, set: Uint8Array, drop: DropMode, out: Float64Array, without = -1): void {
    out.set(rb.bias);
    if (drop === 'zero') {
      for (let e = 0; e < n; e++) {
        if (!set[e] || e === without) continue;
        const o = (i * n + e) * c;
        for (let j = 0; j < c; j++) out[j] = (out[j] as number) + (rb.total[o + j] as number);
      }
      return;
    }
    num.fill(0);
    den.fill(0);
    for (let t = 0; t < m; t++) {
      for (let e = 0; e < n; e++) {
        if (!set[e] || e === without) continue;
        den[t] = (den[t] as number) + (rb.mass[(i * m + t) * n + e] as number);
        const o = ((i * m + t) * n + e) * c;
        for (let j = 0; j < c; j++) num[t * c + j] = (num[t * c + j] as number) + (rb.contrib[o + j] as number);
      }
      const dt = den[t] as number;
      if (dt > 0) for (let j = 0; j < c; j++) out[j] = (out[j] as number) + (num[t * c + j] as number) / dt;
    }
  }
  return {
    numLayers: 1, numExperts: n, examples, fullCorrect, meanMass: [meanMass], ...(meanOutputNorm ? { meanOutputNorm: [meanOutputNorm] } : {}),
    async correctWith(drop, sets) {
      let ok = 0;
      for (const { rb, labels } of batches) {
        for (let i = 0; i < rb.b; i++) {
          logitsOf(rb, i, sets[0] as Uint8Array, drop, lg);
          if (argmaxAt(lg, 0, c) === labels[i]) ok++;
        }
      }
      return ok;
    },
    async correctWithout(drop, sets, _layer, candidates) {
      const set = sets[0] as Uint8Array;
      const counts = new Int32Array(candidates.length);
      const cur = new Float64Array(c);
      const curNum = new Float64Array(m * c);
      const curDen = new Float64Array(m);
      for (const { rb, labels } of batches) {
        for (let i = 0; i < rb.b; i++) {
          const y = labels[i] as number;
          if (drop === 'zero') {
            logitsOf(rb, i, set, 'zero', cur);
            candidates.forEach((e, j) => {
              const o = (i * n + e) * c;
              for (let q = 0; q < c; q++) lg[q] = (cur[q] as number) - (rb.total[o + q] as number);
              if (argmaxAt(lg, 0, c) === y) counts[j] = (counts[j] as number) + 1;
            });
            continue;
          }
          curNum.fill(0);
          curDen.fill(0);
          for (let t = 0; t < m; t++) {
            for (let e = 0; e < n; e++) {
              if (!set[e]) continue;
              curDen[t] = (curDen[t] as number) + (rb.mass[(i * m + t) * n + e] as number);
              const o = ((i * m + t) * n + e) * c;
              for (let q = 0; q < c; q++) curNum[t * c + q] = (curNum[t * c + q] as number) + (rb.contrib[o + q] as number);
            }
          }
          candidates.forEach((e, j) => {
            lg.set(rb.bias);
            for (let t = 0; t < m; t++) {
              const dt = (curDen[t] as number) - (rb.mass[(i * m + t) * n + e] as number);
              if (!(dt > 0)) continue;
              const o = ((i * m + t) * n + e) * c;
              for (let q = 0; q < c; q++) lg[q] = (lg[q] as number) + ((curNum[t * c + q] as number) - (rb.contrib[o + q] as number)) / dt;
            }
            if (argmaxAt(lg, 0, c) === y) counts[j] = (counts[j] as number) + 1;
          });
        }
      }
      return counts;
    },
  };
}

/**
 * Scorer from masked passes: `run(drop, masks, P)` returns, per calibration batch, the predictions [P × b] of P
 * passes with per-layer keep masks [P × n] (the same subset for every input of a pass).
 */
export function passScorer(
  numLayers: number, numExperts: number, examples: number, fullCorrect: number, meanMass: Float64Array[], meanOutputNorm: Float64Array[] | undefined,
  correctOf: (drop: DropMode, masks: Uint8Array[], P: number) => Promise<Int32Array>,
): SubsetScorer {
  const n = numExperts;
  return {
    numLayers, numExperts, examples, fullCorrect, meanMass, ...(meanOutputNorm ? { meanOutputNorm } : {}),
    async correctWith(drop, sets) {
      return (await correctOf(drop, sets.map((s) => Uint8Array.from(s)), 1))[0] as number;
    },
    async correctWithout(drop, sets, layer, candidates) {
      const P = candidates.length;
      const masks = sets.map((s, l) => {
        const m = new Uint8Array(P * n);
        for (let j = 0; j < P; j++) {
          m.set(s, j * n);
          if (l === layer) m[j * n + (candidates[j] as number)] = 0;
        }
        return m;
      });
      return correctOf(drop, masks, P);
    },
  };
}

/** "train[:5000]", "train[1000:6000]", "test", "train[2000:]" → split and example range (end null: to the end). */
/** Default calibration split of the global selector. */
export const DEFAULT_CALIBRATION = 'train[:5000]';

export function parseCalibrationSpec(spec: string): { split: 'train' | 'test'; start: number; end: number | null } {
  const m = /^(train|test)(?:\[(\d*):(\d*)\])?$/.exec(spec.trim());
  if (!m) throw new SoftMoeError('E_USAGE', `--calibration must look like train[:N], train[A:B] or train (a split of --data, or of --calibration-data), got '${spec}'.`);
  const start = m[2] ? Number(m[2]) : 0;
  const end = m[3] ? Number(m[3]) : null;
  if (end !== null && end <= start) throw new SoftMoeError('E_USAGE', `--calibration ${spec}: the range is empty.`);
  return { split: m[1] as 'train' | 'test', start, end };
}

/** The recommended global k: the smallest k < n whose global subset keeps `target` of full accuracy. */
export function recommendGlobal(sel: Omit<GlobalSelection, 'recommended'>, curve: { k: number; accuracy: number }[] | undefined, drop: DropMode, target: number, fullAccuracy: number,
  layers: Array<{ numExperts: number; slotsPerExpert: number; dim: number; expertHidden: number; expertParameters?: number }>, m: number | null, parameterCount: number): GlobalSelection['recommended'] {
  const n = layers[0]?.numExperts ?? 0;
  const pt = curve?.find((p) => p.k < n && p.accuracy >= target * fullAccuracy) ?? null;
  const order = sel.orders[drop];
  if (!pt || !order) {
    return { drop, target, k: null, accuracy: null, fraction: null, experts: null, expertFlopsSaved: null, parametersSaved: null, parameterCount: null, macsSavedPerInput: null };
  }
  const k = pt.k;
  const perExpert = layers.map((l) => l.expertParameters);
  const parametersSaved = perExpert.every((v) => v !== undefined) ? layers.reduce((s, l, i) => s + (l.numExperts - k) * (perExpert[i] as number), 0) : null;
  return {
    drop, target, k, accuracy: pt.accuracy, fraction: k / n,
    experts: order.map((o) => o.slice(0, k).sort((a, b) => a - b)),
    expertFlopsSaved: 1 - k / n,
    parametersSaved,
    parameterCount: parametersSaved === null ? null : parameterCount - parametersSaved,
    macsSavedPerInput: m === null ? null : layers.reduce((s, l) => s + (l.numExperts - k) * l.slotsPerExpert * (2 * l.dim * l.expertHidden + 3 * m * l.dim), 0),
  };
}
