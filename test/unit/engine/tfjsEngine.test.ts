import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { createTfjsEngine } from '../../../src/core/engine/tfjsEngine';
import { loadModel } from '../../../src/core/engine/loadModel';
import type { SoftMoeModel } from '../../../src/core/engine/model';
import { FakeModel } from '../analysis/fakeModel';
import { SMALL } from '../analysis/setup';
import { engineContract, randomImages } from './engineContract';
import { ENGINE_BACKENDS, FIXTURES, fixtureImages, useBackend } from './helpers';
import { executorFor } from '../../../src/core/engine/openEngine';

/** Real images for the trained fixtures (random noise would leave their predictions unchanged by masks). */
function fixtureBatch(name: string): { x: Float32Array; b: number } {
  const b = 12;
  if (name.includes('ViT')) {
    const bytes = readFileSync(join(FIXTURES, '..', 'vit', 'vit_gray', 'inputs.u8'));
    return { x: Float32Array.from(bytes.subarray(0, b * 28 * 28), (v) => v / 255), b };
  }
  return { x: fixtureImages().slice(0, b * 28 * 28), b };
}

const VIT = join(FIXTURES, '..', 'vit', 'vit_gray', 'model.pt');

for (const backend of ENGINE_BACKENDS) {
  // One backend per process state: each block switches it before its engines are created.
  const subjects: Array<[string, () => Promise<SoftMoeModel>]> = [
    ['fake model, one layer, linear readout', async () => new FakeModel(SMALL)],
    ['fake model, two MoE layers', async () => new FakeModel({ ...SMALL, kind: 'two-layer' })],
    ['paper MNIST fixture n=4', () => loadModel(join(FIXTURES, 'mnist_n4', 'model.safetensors'))],
    ['Soft MoE ViT fixture (grey)', () => loadModel(VIT)],
  ];
  for (const [name, make] of subjects) {
    engineContract(`tfjs ${backend}, ${name}`, {
      async open() {
        await useBackend(backend);
        return {
          engine: createTfjsEngine(await make(), { executor: executorFor(backend) }),
          onePassAtATime: createTfjsEngine(await make(), { maxStackedValues: 1, executor: executorFor(backend) }),
        };
      },
      images: (engine) => (name.includes('fixture') ? fixtureBatch(name) : randomImages(engine, 12, 3)),
    });
  }
}

describe('tfjs engine computes the first MoE layer once per batch', () => {
  it('routes and runs the first layer\'s experts once, then recombines it for every masked pass, with the predictions of the uncached masked forward', async () => {
    await useBackend('cpu');
    const model = await loadModel(VIT);
    let routed = 0;
    let ran = 0;
    const route = model.route.bind(model);
    const advance = model.advance.bind(model);
    model.route = (l, state, outputs) => {
      if (l === 0) routed++;
      return route(l, state, outputs);
    };
    model.advance = (l, state, opts) => {
      if (l === 0 && !opts?.cached) ran++;
      return advance(l, state, opts);
    };
    const engine = createTfjsEngine(model, { ownsModel: false });
    const { x, b } = fixtureBatch('ViT');
    const n = engine.info.moeLayers[0]?.numExperts as number;
    const L = engine.info.moeLayers.length;
    // Pass j keeps experts 0..j of every input in every layer.
    const P = n - 1;
    const mask = new Uint8Array(P * b * n);
    for (let j = 0; j < P; j++) for (let i = 0; i < b; i++) mask.fill(1, (j * b + i) * n, (j * b + i) * n + j + 1);
    const masks = Array.from({ length: L }, () => mask);
    const batch = await engine.begin(x, b);
    try {
      await batch.trace();
      const got = { zero: await batch.run({ drop: 'zero', count: P, masks }), renorm: await batch.run({ drop: 'renorm', count: P, masks }) };
      await batch.runSelecting({ drop: 'zero', count: 2, slotOutputs: false, select: (_l, r) => new Uint8Array(r.b * n).fill(1) });
      assert.equal(routed, 1, 'the first layer is routed once per batch');
      assert.equal(ran, 0, 'the first layer\'s experts never run again for a masked pass');
      for (const drop of ['zero', 'renorm'] as const) {
        const want = tf.tidy(() => {
          const pre = model.preprocess(tf.tensor4d(x, [b, ...model.info.inputShape]));
          const out = new Int32Array(P * b);
          for (let j = 0; j < P; j++) {
            const mj = tf.tensor2d(Float32Array.from(mask.subarray(j * b * n, (j + 1) * b * n)), [b, n]);
            const logits = model.forward(pre, { masks: Array.from({ length: L }, () => mj), drop }).logits;
            out.set(tf.argMax(logits, 1).dataSync() as Int32Array, j * b);
          }
          return out;
        });
        assert.deepEqual(got[drop], want, `${drop}: same predictions as the uncached masked forward`);
      }
    } finally {
      await batch.close();
      await engine.dispose();
      model.dispose();
    }
  });
});
