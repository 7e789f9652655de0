import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import type { DropMode } from '../../../src/core/analysis/schema';
import { binomial } from '../../../src/core/analysis/oracle';
import { fake, labelledData, useCpu } from './setup';
import { engineOf } from './fakeModel';

before(useCpu);

/** Brute force through the model's own masked forward: every subset of every input as one row. */
function bruteForce(model: ReturnType<typeof fake>, x: Float32Array, y: Int32Array, drop: DropMode): number[] {
  const n = model.spec.n;
  const b = y.length;
  const px = x.length / b;
  const subsets = 1 << n;
  const found = new Array<number>(n + 1).fill(0);
  for (let i = 0; i < b; i++) {
    const xi = new Float32Array(subsets * px);
    const mask = new Float32Array(subsets * n);
    for (let s = 0; s < subsets; s++) {
      xi.set(x.subarray(i * px, (i + 1) * px), s * px);
      for (let e = 0; e < n; e++) if (s & (1 << e)) mask[s * n + e] = 1;
    }
    const pred = tf.tidy(() => {
      const pre = model.preprocess(tf.tensor4d(xi, [subsets, ...model.info.inputShape]));
      const out = model.forward(pre, { masks: [tf.tensor2d(mask, [subsets, n])], drop });
      return tf.argMax(out.logits, 1).dataSync();
    });
    const hit = new Array<boolean>(n + 1).fill(false);
    for (let s = 1; s < subsets; s++) {
      let k = 0;
      for (let e = 0; e < n; e++) if (s & (1 << e)) k++;
      if (pred[s] === y[i]) hit[k] = true;
    }
    for (let k = 1; k <= n; k++) if (hit[k]) found[k]! += 1;
  }
  return found.slice(1);
}

describe('oracle', () => {
  const model = fake({ seed: 11 });
  const { x, y, dataset } = labelledData(model, 60, 9);

  it('finds exactly the inputs that brute force over all subsets finds, for both drop modes', async () => {
    const r = await analyze(engineOf(model), dataset, { selectors: ['oracle'], drops: ['zero', 'renorm'], batchSize: 25 });
    for (const drop of ['zero', 'renorm'] as DropMode[]) {
      const c = r.curves.find((cv) => cv.selector === 'oracle' && cv.drop === drop)!;
      assert.deepEqual(c.points.map((p) => p.correct), bruteForce(model, x, y, drop), drop);
      const heur = r.curves.find((cv) => cv.selector === 'heuristic' && cv.drop === drop)!;
      c.points.forEach((p, ki) => {
        assert.equal(p.greedy, false);
        assert.equal(p.heuristicIsSpecialised, heur.points[ki]!.accuracy);
        assert.ok(p.correct >= heur.points[ki]!.correct);
      });
    }
  });

  it('falls back to a greedy search, labelled as such, beyond the budget', async () => {
    const r = await analyze(engineOf(model), dataset, { selectors: ['oracle'], oracleBudget: 10 });
    const exact = await analyze(engineOf(model), dataset, { selectors: ['oracle'] });
    const g = r.curves.find((c) => c.selector === 'oracle')!;
    const e = exact.curves.find((c) => c.selector === 'oracle')!;
    g.points.forEach((p, ki) => {
      assert.equal(p.greedy, binomial(6, p.k) > 10, `k=${p.k}`);
      assert.ok(p.correct <= e.points[ki]!.correct, 'greedy never finds more than the exhaustive search');
      if (!p.greedy) assert.equal(p.correct, e.points[ki]!.correct);
    });
    assert.equal(r.options.oracleBudget, 10);
  });

  it('counts subsets exactly', () => {
    assert.equal(binomial(16, 8), 12870);
    assert.equal(binomial(6, 0), 1);
    assert.equal(binomial(5, 7), 0);
  });
});
