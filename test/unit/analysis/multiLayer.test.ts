import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { analyze } from '../../../src/core/analysis/analyze';
import type { DropMode } from '../../../src/core/analysis/schema';
import type { Engine } from '../../../src/core/engine/engine';
import type { MoeRouting, SoftMoeModel } from '../../../src/core/engine/model';
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
      selectMask: (_l: number, r: MoeRouting) => {
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

  it('says so when the engine does not let each layer select (runSelecting never calls select)', async () => {
    const inner = engineOf(model);
    const deaf: Engine = {
      ...inner,
      info: inner.info,
      description: inner.description,
      linearReadout: inner.linearReadout,
      async begin(images, b, signal) {
        const batch = await inner.begin(images, b, signal);
        return {
          size: batch.size,
          trace: (r) => batch.trace(r),
          run: (p) => batch.run(p),
          predict: () => batch.predict(),
          close: () => batch.close(),
          runSelecting: (p) => batch.run({ drop: p.drop, count: p.count, masks: model.info.moeLayers.map(() => undefined) }),
        };
      },
    };
    await assert.rejects(analyze(deaf, dataset, { ks: [1] }), /does not support per-layer expert selection/);
  });
});
