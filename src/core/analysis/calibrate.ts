/**
 * The `global` selector's calibration pass: run the model over the calibration examples once, then choose the
 * global subsets (globalSelection.ts). Linear-readout models keep each batch's readout decomposition and score every
 * subset on the host; other models keep each batch's activations before the first MoE layer and score subsets
 * with masked passes from there.
 */
import type { Dataset } from '../data/types';
import { argmaxRows } from '../engine/argmax';
import type { Engine, EngineBatch } from '../engine/engine';
import { SoftMoeError, throwIfAborted, yieldTurn } from '../errors';
import { chooseGlobal, passScorer, readoutScorer, type SubsetScorer } from './globalSelection';
import { readoutBatch, type ReadoutBatch } from './readout';
import type { DropMode, GlobalRanking, GlobalSelection } from './schema';
import { combineScores, outputNormScores } from './scores';

export interface CalibrationData {
  dataset: Dataset;
  /** Examples [start, end) of the dataset. */
  start: number;
  end: number;
}

export interface CalibrateOptions {
  ranking: GlobalRanking;
  drops: readonly DropMode[];
  batchSize: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export async function calibrateGlobal(engine: Engine, cal: CalibrationData, opts: CalibrateOptions): Promise<Omit<GlobalSelection, 'recommended'>> {
  const { dataset, start, end } = cal;
  const info = engine.info;
  const L = info.moeLayers.length;
  const n = info.moeLayers[0]?.numExperts as number;
  const C = info.numClasses;
  if (end <= start) throw new SoftMoeError('E_DATASET', `The calibration split of ${dataset.path} has no examples.`);
  const withOutputs = opts.ranking === 'output-norm';
  const fast = engine.linearReadout && L === 1;
  const massSum = Array.from({ length: L }, () => new Float64Array(n));
  const normSum = Array.from({ length: L }, () => new Float64Array(n));
  const readouts: Array<{ rb: ReadoutBatch; labels: Int32Array }> = [];
  const open: Array<{ batch: EngineBatch; labels: Int32Array }> = [];
  let fullCorrect = 0;
  let examples = 0;
  let tokens = 0;
  const s = new Float64Array(n);
  const t0 = performance.now();
  try {
    for await (const batch of dataset.batches(opts.batchSize, { start, end, ...(opts.signal ? { signal: opts.signal } : {}) })) {
      throwIfAborted(opts.signal);
      const labels = batch.y.slice();
      for (const y of labels) if (!(y >= 0 && y < C)) throw new SoftMoeError('E_DATASET', `Calibration data ${dataset.path}: a label ${y} is outside the model's ${C} classes.`);
      const eb = await engine.begin(batch.x, batch.size, opts.signal);
      let keep = false;
      try {
        const tr = await eb.trace({ slotOutputs: withOutputs, contributions: fast });
        const pred = argmaxRows(tr.logits, batch.size, C);
        for (let i = 0; i < batch.size; i++) if (pred[i] === labels[i]) fullCorrect++;
        tr.layers.forEach((a, l) => {
          tokens = a.m;
          for (let i = 0; i < a.b; i++) {
            combineScores(a, i, s);
            let tot = 0;
            for (let e = 0; e < n; e++) tot += s[e] as number;
            for (let e = 0; e < n; e++) (massSum[l] as Float64Array)[e] += tot > 0 ? (s[e] as number) / tot : 0;
            if (withOutputs) {
              outputNormScores(a, i, s);
              for (let e = 0; e < n; e++) (normSum[l] as Float64Array)[e] += s[e] as number;
            }
          }
        });
        if (fast) {
          const a = tr.layers[0];
          if (!a || !tr.contributions || !tr.readoutBias) throw new SoftMoeError('E_INTERNAL', 'Internal error: the engine returned no readout contributions for the calibration batch.');
          readouts.push({ rb: readoutBatch(a.combine, tr.contributions, tr.readoutBias, a), labels });
        } else {
          open.push({ batch: eb, labels });
          keep = true;
        }
      } finally {
        if (!keep) await eb.close();
      }
      examples += batch.size;
      opts.onProgress?.(examples, end - start);
      await yieldTurn(opts.signal);
    }
    if (examples !== end - start) throw new SoftMoeError('E_DATASET', `Calibration data ${dataset.path} yielded ${examples} examples for [${start}, ${end}).`);
    const meanMass = massSum.map((v) => v.map((x) => x / examples));
    const meanNorm = withOutputs ? normSum.map((v) => v.map((x) => x / examples)) : undefined;
    const scorer: SubsetScorer = fast
      ? readoutScorer(readouts, meanMass[0] as Float64Array, meanNorm?.[0])
      : passScorer(L, n, examples, fullCorrect, meanMass, meanNorm, async (drop, masks, P) => {
        // P passes per calibration batch; pass q keeps masks[l][q] for every input of the batch.
        const counts = new Int32Array(P);
        for (const { batch, labels } of open) {
          throwIfAborted(opts.signal);
          const b = labels.length;
          const rows = masks.map((mk) => {
            const m = new Uint8Array(P * b * n);
            for (let q = 0; q < P; q++) for (let i = 0; i < b; i++) m.set(mk.subarray(q * n, (q + 1) * n), (q * b + i) * n);
            return m;
          });
          const pred = await batch.run({ drop, count: P, masks: rows });
          for (let q = 0; q < P; q++) for (let i = 0; i < b; i++) if (pred[q * b + i] === labels[i]) counts[q] = (counts[q] as number) + 1;
          await yieldTurn(opts.signal);
        }
        return counts;
      });
    const choice = await chooseGlobal(scorer, opts.ranking, opts.drops, opts.signal);
    const calibrationAccuracy: GlobalSelection['calibrationAccuracy'] = {};
    for (const drop of opts.drops) calibrationAccuracy[drop] = (choice.correct[drop] as number[]).map((c) => c / examples);
    return {
      ranking: opts.ranking,
      calibration: { path: dataset.path, name: dataset.name, split: dataset.split, start, end, examples, fullAccuracy: fullCorrect / examples, tokens, seconds: (performance.now() - t0) / 1000 },
      orders: choice.orders,
      calibrationAccuracy,
    };
  } finally {
    for (const o of open) await o.batch.close();
  }
}
