import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import type { DropMode } from '../../../src/core/analysis/schema';
import { binomial, chanceLabel } from '../../../src/core/analysis/oracle';
import { loadModel } from '../../../src/core/engine/loadModel';
import { createPrng } from '../../../src/core/train/prng';
import { arrayDataset } from './arrayDataset';
import { writeFixedClassCheckpoint } from './fixedClassModel';
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

  it('finds its chance level exactly: brute force for the wrong label drawn per input, both drop modes', async () => {
    const seed = 4;
    const r = await analyze(engineOf(model), dataset, { selectors: ['oracle'], drops: ['zero', 'renorm'], batchSize: 25, seed });
    const wrong = Int32Array.from(y, (label, i) => chanceLabel(seed, i, label, model.info.numClasses));
    for (let i = 0; i < y.length; i++) assert.notEqual(wrong[i], y[i]);
    for (const drop of ['zero', 'renorm'] as DropMode[]) {
      const c = r.curves.find((cv) => cv.selector === 'oracle' && cv.drop === drop)!;
      const brute = bruteForce(model, x, wrong, drop);
      assert.deepEqual(c.points.map((p) => p.chanceFound), brute, drop);
      c.points.forEach((p, ki) => {
        assert.equal(p.chance, brute[ki]! / y.length);
        assert.equal(p.excess, p.accuracy - p.chance!);
      });
      // With every expert kept, the only subset is the full model: chance is how often it predicts the wrong label.
      const full = c.points.at(-1)!;
      assert.ok(full.chance! < 0.5 && full.accuracy > 0.5);
    }
  });

  it('cuts no subtree that holds a hit: brute force on a wider model (n = 10) for the label and the wrong label', async () => {
    const wide = fake({ n: 10, p: 1, seed: 17 });
    const d = labelledData(wide, 24, 5);
    const r = await analyze(engineOf(wide), d.dataset, { selectors: ['oracle'], drops: ['zero', 'renorm'], seed: 3 });
    const wrong = Int32Array.from(d.y, (label, i) => chanceLabel(3, i, label, wide.info.numClasses));
    for (const drop of ['zero', 'renorm'] as DropMode[]) {
      const c = r.curves.find((cv) => cv.selector === 'oracle' && cv.drop === drop)!;
      assert.deepEqual(c.points.map((p) => p.correct), bruteForce(wide, d.x, d.y, drop), `${drop} label`);
      assert.deepEqual(c.points.map((p) => p.chanceFound), bruteForce(wide, d.x, wrong, drop), `${drop} wrong label`);
    }
  });

  it('draws the wrong label uniformly from the other classes, reproducibly from the seed and the index', () => {
    const classes = 5;
    const counts = new Array<number>(classes).fill(0);
    for (let i = 0; i < 20000; i++) {
      const w = chanceLabel(7, i, 2, classes);
      assert.notEqual(w, 2);
      counts[w]! += 1;
    }
    assert.equal(counts[2], 0);
    for (const c of [0, 1, 3, 4]) assert.ok(Math.abs(counts[c]! - 5000) < 300, `class ${c}: ${counts[c]}`);
    assert.equal(chanceLabel(7, 123, 2, classes), chanceLabel(7, 123, 2, classes));
    const differs = Array.from({ length: 50 }, (_, i) => chanceLabel(7, i, 0, 10) !== chanceLabel(8, i, 0, 10)).some(Boolean);
    assert.ok(differs, 'another seed draws other labels');
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

describe('oracle chance level on a model whose experts each predict one fixed class', () => {
  it('finds a subset for the true label and for a wrong one alike: high oracle, excess near zero', async () => {
    const model = await loadModel(await writeFixedClassCheckpoint());
    try {
      const count = 400;
      const rng = createPrng(3);
      const x = Float32Array.from({ length: count * 28 * 28 }, () => rng.next());
      const y = Int32Array.from({ length: count }, () => rng.int(10));
      const r = await analyze(engineOf(model), arrayDataset(x, y, [28, 28, 1], 10), { selectors: ['oracle'], drops: ['zero', 'renorm'], ks: [1, 2, 5], seed: 2 });
      for (const drop of ['zero', 'renorm'] as DropMode[]) {
        const c = r.curves.find((cv) => cv.selector === 'oracle' && cv.drop === drop)!;
        for (const p of c.points) {
          assert.ok(p.accuracy >= 0.5, `${drop} k=${p.k}: oracle ${p.accuracy}`);
          assert.ok(Math.abs(p.excess!) <= 0.03, `${drop} k=${p.k}: excess ${p.excess}`);
        }
        const one = c.points[0]!;
        assert.ok(one.accuracy === 1 && one.chance === 1, `${drop} k=1: expert e alone predicts class e`);
      }
      // The full model is no better than guessing on these labels: the oracle's 'accuracy' says nothing by itself.
      assert.ok(r.fullAccuracy < 0.3);
    } finally {
      model.dispose();
    }
  });
});
