/**
 * Token choice and expert choice against an independent implementation of their definitions (tfjs ops on the
 * model's own router logits, then masked forward passes), on the fast path, the general path and per layer.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import type { AnalysisResult, DropMode } from '../../../src/core/analysis/schema';
import type { MoeRouting, SoftMoeModel } from '../../../src/core/engine/model';
import { fake, labelledData, useCpu } from './setup';
import { engineOf, withoutReadout } from './fakeModel';

before(useCpu);

/** [b, n] keep-mask of the top k experts by (score, then combine mass, then lower index). */
function topKMask(score: tf.Tensor2D, mass: tf.Tensor2D, k: number): tf.Tensor2D {
  const [b, n] = score.shape;
  const s = score.arraySync();
  const c = mass.arraySync();
  const mask = new Float32Array(b * n);
  for (let i = 0; i < b; i++) {
    const order = Array.from({ length: n }, (_, e) => e).sort((x, y) => s[i]![y]! - s[i]![x]! || c[i]![y]! - c[i]![x]! || x - y);
    for (const e of order.slice(0, k)) mask[i * n + e] = 1;
  }
  return tf.tensor2d(mask, [b, n]);
}

/** Votes per expert: one-hot of each token's argmax slot over all n·p slots, summed over tokens and slots. */
function tokenChoice(r: MoeRouting): tf.Tensor2D {
  const [b, m, n, p] = r.logits.shape;
  return tf.tidy(() => {
    const best = tf.argMax(tf.reshape(r.logits, [b, m, n * p]), 2); // [b, m]
    const oneHot = tf.reshape(tf.oneHot(best, n * p), [b, m, n, p]);
    return tf.sum(oneHot, [1, 3]) as tf.Tensor2D;
  });
}

/** Σ over slots of the top ⌈m/n⌉ logits over tokens. */
function expertChoice(r: MoeRouting): tf.Tensor2D {
  const [b, m, n, p] = r.logits.shape;
  const c = Math.min(m, Math.max(1, Math.ceil(m / n)));
  return tf.tidy(() => {
    const perSlot = tf.reshape(tf.transpose(r.logits, [0, 2, 3, 1]), [b, n, p, m]);
    return tf.sum(tf.topk(perSlot, c).values, [2, 3]) as tf.Tensor2D;
  });
}

function correctWith(model: SoftMoeModel, x: Float32Array, y: Int32Array, k: number, drop: DropMode, score: (r: MoeRouting) => tf.Tensor2D): number {
  const b = y.length;
  const pred = tf.tidy(() => {
    const pre = model.preprocess(tf.tensor4d(x, [b, ...model.info.inputShape]));
    const out = model.forward(pre, {
      drop,
      selectMask: (_l: number, r: MoeRouting) => topKMask(score(r), tf.sum(r.combine, [1, 3]) as tf.Tensor2D, k),
    });
    return tf.argMax(out.logits, 1).dataSync();
  });
  let c = 0;
  for (let i = 0; i < b; i++) if (pred[i] === y[i]) c++;
  return c;
}

function counts(r: AnalysisResult, selector: string, drop: DropMode): number[] {
  return r.curves.find((c) => c.selector === selector && c.drop === drop)!.points.map((p) => p.correct);
}

describe('token-choice and expert-choice selectors', () => {
  for (const [what, model] of [
    ['fast path (linear readout)', fake({ seed: 21 })],
    ['general path', withoutReadout(fake({ seed: 21 }))],
    ['two MoE layers, each layer choosing from its own routing', fake({ kind: 'two-layer', seed: 4 })],
  ] as const) {
    it(`keep exactly the experts their definitions pick: ${what}, both drop modes`, async () => {
      const { x, y, dataset } = labelledData(model, 70, 8);
      const r = await analyze(engineOf(model), dataset, { selectors: ['token-choice', 'expert-choice'], drops: ['zero', 'renorm'], batchSize: 32 });
      assert.deepEqual(r.options.selectors, ['heuristic', 'token-choice', 'expert-choice']);
      for (const drop of ['zero', 'renorm'] as DropMode[]) {
        const tc = counts(r, 'token-choice', drop);
        const ec = counts(r, 'expert-choice', drop);
        for (let k = 1; k <= 6; k++) {
          assert.equal(tc[k - 1], correctWith(model, x, y, k, drop, tokenChoice), `token-choice k=${k} ${drop}`);
          assert.equal(ec[k - 1], correctWith(model, x, y, k, drop, expertChoice), `expert-choice k=${k} ${drop}`);
        }
      }
    });
  }
});
