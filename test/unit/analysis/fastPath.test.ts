import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import type { AnalysisResult, DropMode } from '../../../src/core/analysis/schema';
import type { LinearReadout } from '../../../src/core/engine/model';
import { randomOrders } from '../../../src/core/analysis/subsets';
import { fake, labelledData, useCpu } from './setup';
import { withoutReadout } from './fakeModel';
import { engineOf } from './fakeModel';

before(useCpu);

function curve(r: AnalysisResult, selector: string, drop: DropMode): number[] {
  const c = r.curves.find((cv) => cv.selector === selector && cv.drop === drop);
  assert.ok(c, `curve ${selector}/${drop}`);
  return c.points.map((p) => p.correct);
}

/** Correct predictions when the forward pass keeps, per input, the experts that `pick` returns. */
function maskedCorrect(model: ReturnType<typeof fake>, x: Float32Array, y: Int32Array, drop: DropMode, pick: (i: number, mass: Float64Array) => number[]): number {
  const { n, p, m } = model.spec;
  const b = y.length;
  const pre = model.preprocess(tf.tensor4d(x, [b, ...model.info.inputShape]));
  const full = model.forward(pre, { trace: true });
  const comb = full.traces[0]!.combine.dataSync();
  const mask = new Float32Array(b * n);
  for (let i = 0; i < b; i++) {
    const mass = new Float64Array(n);
    for (let t = 0; t < m; t++) for (let e = 0; e < n; e++) for (let s = 0; s < p; s++) mass[e] += comb[((i * m + t) * n + e) * p + s]!;
    for (const e of pick(i, mass)) mask[i * n + e] = 1;
  }
  const out = model.forward(pre, { masks: [tf.tensor2d(mask, [b, n])], drop });
  const pred = tf.argMax(out.logits, 1).dataSync();
  let correct = 0;
  for (let i = 0; i < b; i++) if (pred[i] === y[i]) correct++;
  return correct;
}

const topK = (k: number) => (_i: number, mass: Float64Array) => Array.from(mass.keys()).sort((a, b) => mass[b]! - mass[a]! || a - b).slice(0, k);

describe('fast path (linear readout)', () => {
  const model = fake();
  const { x, y, dataset } = labelledData(model, 120, 3);

  it('heuristic and random curves equal masked forward passes, for both drop modes', async () => {
    const r = await analyze(engineOf(model), dataset, { selectors: ['heuristic', 'random'], drops: ['zero', 'renorm'], trials: 3, seed: 5, batchSize: 50 });
    for (const drop of ['zero', 'renorm'] as DropMode[]) {
      const heur = curve(r, 'heuristic', drop);
      for (let k = 1; k <= 6; k++) assert.equal(heur[k - 1], maskedCorrect(model, x, y, drop, topK(k)), `heuristic k=${k} ${drop}`);
      const rc = r.curves.find((c) => c.selector === 'random' && c.drop === drop)!;
      for (let k = 1; k <= 6; k++) {
        const perTrial = [0, 1, 2].map((t) => maskedCorrect(model, x, y, drop, (i) => Array.from(randomOrders(5, i, 3, 1, 6).subarray(t * 6, t * 6 + k))));
        const mean = perTrial.reduce((a, b) => a + b, 0) / 3;
        assert.equal(rc.points[k - 1]!.correct, mean, `random k=${k} ${drop}`);
      }
    }
    assert.equal(curve(r, 'heuristic', 'zero')[5], r.fullCorrect);
  });

  it('gives the same counts as the general (masked-forward) path for every selector', async () => {
    const opts = { selectors: ['heuristic', 'random', 'batch', 'dispatch', 'output-norm', 'token-choice', 'expert-choice'] as const, drops: ['zero', 'renorm'] as DropMode[], trials: 2, seed: 1, batchSize: 40 };
    const fast = await analyze(engineOf(model), dataset, { ...opts, selectors: [...opts.selectors] });
    const slow = await analyze(engineOf(withoutReadout(model)), dataset, { ...opts, selectors: [...opts.selectors] });
    assert.equal(fast.curves.length, 14);
    for (const c of fast.curves) {
      const other = slow.curves.find((s) => s.selector === c.selector && s.drop === c.drop)!;
      assert.deepEqual(c.points.map((p) => p.correct), other.points.map((p) => p.correct), `${c.selector}/${c.drop}`);
    }
    assert.deepEqual(fast.perClass, slow.perClass);
  });

  it('refuses a readout that does not reproduce the logits', async () => {
    const m = fake();
    const readout = m.linearReadout!;
    const zeroed: LinearReadout = {
      bias: readout.bias,
      trace: (x, withOutputs) => {
        const t = readout.trace(x, withOutputs);
        const zeros = tf.zerosLike(t.contributions);
        t.contributions.dispose();
        return { ...t, contributions: zeros };
      },
    };
    const broken = Object.assign(Object.create(Object.getPrototypeOf(m)), m, { linearReadout: zeroed });
    await assert.rejects(analyze(engineOf(broken), labelledData(m, 10, 1).dataset), /linear readout does not reproduce/);
  });
});
