/**
 * The `global` selector against an independent implementation of its definition (masked forward passes of the
 * model itself): greedy backward elimination on the calibration split, the cheaper rankings, and the evaluation
 * curve of the fixed subsets — on the fast path, the general path and a model with two MoE layers.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import { parseCalibrationSpec } from '../../../src/core/analysis/globalSelection';
import type { AnalysisResult, DropMode } from '../../../src/core/analysis/schema';
import type { SoftMoeModel } from '../../../src/core/engine/model';
import { arrayDataset } from './arrayDataset';
import { engineOf, withoutReadout } from './fakeModel';
import { fake, labelledData, useCpu } from './setup';

before(useCpu);

/** Correct predictions with the same subset per layer for every input. */
function correctWith(model: SoftMoeModel, x: Float32Array, y: Int32Array, sets: number[][], drop: DropMode): number {
  const b = y.length;
  const n = model.info.moeLayers[0]!.numExperts;
  const pred = tf.tidy(() => {
    const masks = sets.map((set) => {
      const m = new Float32Array(b * n);
      for (let i = 0; i < b; i++) for (const e of set) m[i * n + e] = 1;
      return tf.tensor2d(m, [b, n]);
    });
    const out = model.forward(model.preprocess(tf.tensor4d(x, [b, ...model.info.inputShape])), { masks, drop });
    return tf.argMax(out.logits, 1).dataSync();
  });
  let c = 0;
  for (let i = 0; i < b; i++) if (pred[i] === y[i]) c++;
  return c;
}

/** Per layer: mean over inputs of each expert's share of the combine mass. */
function meanMass(model: SoftMoeModel, x: Float32Array, b: number): number[][] {
  return tf.tidy(() => {
    const out = model.forward(model.preprocess(tf.tensor4d(x, [b, ...model.info.inputShape])), { trace: true });
    return out.traces.map((t) => {
      const mass = tf.sum(t.combine, [1, 3]); // [b, n]
      return tf.mean(tf.div(mass, tf.sum(mass, 1, true)), 0).arraySync() as number[];
    });
  });
}

/** The definition, written out: each step, each layer in order drops the expert whose removal keeps most inputs right. */
function eliminate(model: SoftMoeModel, x: Float32Array, y: Int32Array, drop: DropMode): { orders: number[][]; correct: number[] } {
  const L = model.info.moeLayers.length;
  const n = model.info.moeLayers[0]!.numExperts;
  const mass = meanMass(model, x, y.length);
  const sets = Array.from({ length: L }, () => Array.from({ length: n }, (_, e) => e));
  const removed: number[][] = sets.map(() => []);
  const correct = new Array<number>(n).fill(0);
  correct[n - 1] = correctWith(model, x, y, sets, drop);
  for (let size = n; size > 1; size--) {
    for (let l = 0; l < L; l++) {
      const scored = sets[l]!.map((e) => ({ e, c: correctWith(model, x, y, sets.map((s, j) => (j === l ? s.filter((v) => v !== e) : s)), drop) }));
      scored.sort((a, b) => b.c - a.c || mass[l]![a.e]! - mass[l]![b.e]! || b.e - a.e);
      const out = scored[0]!;
      sets[l] = sets[l]!.filter((v) => v !== out.e);
      removed[l]!.push(out.e);
      if (l === L - 1) correct[size - 2] = out.c;
    }
  }
  return { orders: sets.map((s, l) => [...s, ...removed[l]!.slice().reverse()]), correct };
}

function globalCurve(r: AnalysisResult, drop: DropMode): number[] {
  return r.curves.find((c) => c.selector === 'global' && c.drop === drop)!.points.map((p) => p.correct);
}

describe('global selector', () => {
  const cases = [
    ['fast path (linear readout)', fake({ seed: 31 })],
    ['general path', withoutReadout(fake({ seed: 31 }))],
    ['two MoE layers', fake({ kind: 'two-layer', seed: 5 })],
  ] as const;
  for (const [what, model] of cases) {
    it(`eliminates greedily on the calibration split and runs those fixed subsets on the evaluation split: ${what}`, async () => {
      const cal = labelledData(model, 60, 2);
      const ev = labelledData(model, 50, 3);
      const r = await analyze(engineOf(model), ev.dataset, {
        selectors: ['global'], drops: ['zero', 'renorm'], batchSize: 16,
        calibration: { dataset: cal.dataset, start: 0, end: 60 },
      });
      const g = r.globalSelection!;
      assert.equal(g.ranking, 'eliminate');
      assert.equal(g.calibration.examples, 60);
      for (const drop of ['zero', 'renorm'] as DropMode[]) {
        const want = eliminate(model, cal.x, cal.y, drop);
        assert.deepEqual(g.orders[drop], want.orders, `${drop} orders`);
        assert.deepEqual(g.calibrationAccuracy[drop], want.correct.map((c) => c / 60), `${drop} calibration accuracy`);
        const curve = globalCurve(r, drop);
        for (let k = 1; k <= 6; k++) {
          const sets = want.orders.map((o) => o.slice(0, k));
          assert.equal(curve[k - 1], correctWith(model, ev.x, ev.y, sets, drop), `${drop} k=${k}`);
        }
      }
      // Every input gets the same experts: the recorded selections at k are the global subset.
      assert.deepEqual(r.options.selectors, ['heuristic', 'global']);
    });
  }

  it('ranks by dataset-mean combine mass or output norm when asked, the same order for both drop modes', async () => {
    const model = fake({ seed: 8 });
    const cal = labelledData(model, 40, 4);
    const ev = labelledData(model, 30, 5);
    const mass = meanMass(model, cal.x, 40)[0]!;
    const r = await analyze(engineOf(model), ev.dataset, { selectors: ['global'], drops: ['zero', 'renorm'], globalRanking: 'mass', calibration: { dataset: cal.dataset, start: 0, end: 40 } });
    const byMass = mass.map((_, e) => e).sort((a, b) => mass[b]! - mass[a]! || a - b);
    assert.deepEqual(r.globalSelection!.orders.zero, [byMass]);
    assert.deepEqual(r.globalSelection!.orders.renorm, [byMass]);
    assert.equal(r.options.globalRanking, 'mass');
    const on = await analyze(engineOf(model), ev.dataset, { selectors: ['global', 'output-norm'], globalRanking: 'output-norm', calibration: { dataset: cal.dataset, start: 0, end: 40 } });
    assert.equal(on.globalSelection!.ranking, 'output-norm');
    assert.equal(new Set(on.globalSelection!.orders.zero![0]).size, 6);
  });

  it('calibrates only on the examples it is given, and says what pruning its recommendation saves', async () => {
    const model = fake({ seed: 31 });
    const cal = labelledData(model, 60, 2);
    const ev = labelledData(model, 50, 3);
    const part = await analyze(engineOf(model), ev.dataset, { selectors: ['global'], drops: ['renorm'], calibration: { dataset: cal.dataset, start: 20, end: 50 }, target: 0.5, expertParameters: [100] });
    const g = part.globalSelection!;
    assert.deepEqual([g.calibration.start, g.calibration.end, g.calibration.examples], [20, 50, 30]);
    const sub = arrayDataset(cal.x.slice(20 * 24, 50 * 24), cal.y.slice(20, 50), [4, 6, 1], 4);
    const same = await analyze(engineOf(model), ev.dataset, { selectors: ['global'], drops: ['renorm'], calibration: { dataset: sub, start: 0, end: 30 }, target: 0.5, expertParameters: [100] });
    assert.deepEqual(same.globalSelection!.orders, g.orders);
    const rec = g.recommended;
    assert.equal(rec.drop, 'renorm');
    const curve = part.curves.find((c) => c.selector === 'global')!.points;
    const first = curve.find((p) => p.k < 6 && p.accuracy >= 0.5 * part.fullAccuracy);
    assert.equal(rec.k, first?.k ?? null);
    if (rec.k !== null) {
      assert.deepEqual(rec.experts, [g.orders.renorm![0]!.slice(0, rec.k).sort((a, b) => a - b)]);
      assert.equal(rec.parametersSaved, (6 - rec.k) * 100);
      assert.equal(rec.expertFlopsSaved, 1 - rec.k / 6);
      // m = 4 tokens, d = 6, h = 5, p = 2 slots per expert: (2·d·h + 3·m·d) multiply-adds per removed slot.
      assert.equal(rec.macsSavedPerInput, (6 - rec.k) * 2 * (2 * 6 * 5 + 3 * 4 * 6));
    }
  });

  it('needs a calibration split', async () => {
    const model = fake({ seed: 1 });
    await assert.rejects(analyze(engineOf(model), labelledData(model, 10, 1).dataset, { selectors: ['global'] }), /calibration split, never on the evaluation examples/);
  });

  it('reads calibration specs', () => {
    assert.deepEqual(parseCalibrationSpec('train[:5000]'), { split: 'train', start: 0, end: 5000 });
    assert.deepEqual(parseCalibrationSpec('train[100:300]'), { split: 'train', start: 100, end: 300 });
    assert.deepEqual(parseCalibrationSpec('test[2000:]'), { split: 'test', start: 2000, end: null });
    assert.deepEqual(parseCalibrationSpec('train'), { split: 'train', start: 0, end: null });
    assert.throws(() => parseCalibrationSpec('val[:10]'), /train\[:N\]/);
    assert.throws(() => parseCalibrationSpec('train[5:5]'), /empty/);
  });
});
