import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import type { DropMode } from '../../../src/core/analysis/schema';
import type { MoeTrace, SoftMoeModel } from '../../../src/core/engine/model';
import { fake, labelledData, useCpu } from './setup';
import { engineOf } from './fakeModel';

before(useCpu);

/** Independent per-layer Algorithm 1: each layer keeps its own top-k of its own combine mass, inside the pass. */
function perLayerTopK(model: SoftMoeModel, x: Float32Array, y: Int32Array, k: number, drop: DropMode): number {
  const b = y.length;
  const pred = tf.tidy(() => {
    const pre = model.preprocess(tf.tensor4d(x, [b, ...model.info.inputShape]));
    const out = model.forward(pre, {
      drop,
      selectMask: (_l: number, r: MoeTrace) => {
        const mass = tf.sum(r.combine, [1, 3]); // [b, n]
        const { indices } = tf.topk(mass, k);
        return tf.sum(tf.oneHot(indices, mass.shape[1]!), 1) as tf.Tensor2D;
      },
    });
    return tf.argMax(out.logits, 1).dataSync();
  });
  let c = 0;
  for (let i = 0; i < b; i++) if (pred[i] === y[i]) c++;
  return c;
}

describe('several MoE layers (general path, selectMask)', () => {
  const model = fake({ kind: 'two-layer', seed: 3 });
  const { x, y, dataset } = labelledData(model, 80, 6);

  it('each layer picks its own top-k from its own combine weights', async () => {
    const r = await analyze(engineOf(model), dataset, { drops: ['zero', 'renorm'], trials: 2, batchSize: 30 });
    assert.equal(r.layers.length, 2);
    assert.equal(r.routing.length, 2);
    for (const drop of ['zero', 'renorm'] as DropMode[]) {
      const h = r.curves.find((c) => c.selector === 'heuristic' && c.drop === drop)!;
      for (const p of h.points) assert.equal(p.correct, perLayerTopK(model, x, y, p.k, drop), `k=${p.k} ${drop}`);
    }
    const sel = r.perClass.specialisation[1]!;
    assert.equal(sel.classExpertSelected.length, 4);
  });

  it('says so when the engine ignores selectMask', async () => {
    const deaf: SoftMoeModel = Object.assign(Object.create(Object.getPrototypeOf(model)), model);
    deaf.fromFirstMoe = (t, o) => model.fromFirstMoe(t, { ...o, selectMask: undefined });
    await assert.rejects(analyze(engineOf(deaf), dataset, { ks: [1] }), /does not support per-layer expert selection/);
  });
});
