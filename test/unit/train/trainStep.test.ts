// One training step of the paper's Soft MoE against PyTorch (fixture: test/fixtures/train/make_train_step_fixture.py):
// same initial weights and batch → same loss, gradients and weights after two Adam steps, on cpu and wasm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../../../src/core/engine/backend';
import { Adam } from '../../../src/core/train/adam';
import { buildPaperTrainable } from '../../../src/core/train/paperMnistTrainable';
import { crossEntropy, trainStep } from '../../../src/core/train/trainStep';
import { hostParams } from '../../../src/core/train/trainClassifier';
import type { HostTensor } from '../../../src/core/train/runFolder';

interface Dumped { shape: number[]; data: number[] }
interface Fixture {
  config: { batch: number; tokens: number; dim: number; experts: number; hidden: number; classes: number; lr: number; betas: [number, number]; eps: number };
  x: Dumped;
  y: number[];
  init: Record<string, Dumped>;
  steps: Array<{ loss: number; grads: Record<string, Dumped>; weights: Record<string, Dumped> }>;
}

const fx = JSON.parse(readFileSync(join(__dirname, '../../fixtures/train/train_step.json'), 'utf8')) as Fixture;
const c = fx.config;

function toHost(d: Record<string, Dumped>): Map<string, HostTensor> {
  return new Map(Object.entries(d).map(([k, v]) => [k, { shape: v.shape, data: Float32Array.from(v.data) }]));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

for (const [backend, folded] of [['cpu', true], ['wasm', true], ['wasm', false]] as Array<[BackendName, boolean]>) {
  test(`two Adam steps match PyTorch (${backend}, ${folded ? 'folded readout' : 'layer then decoder'})`, async () => {
    await initBackend(backend);
    const model = buildPaperTrainable(c.experts, c.hidden, toHost(fx.init), { tokens: c.tokens, dim: c.dim, classes: c.classes, folded });
    const x = tf.tensor3d(Float32Array.from(fx.x.data), fx.x.shape as [number, number, number]);
    const y = tf.oneHot(tf.tensor1d(fx.y, 'int32'), c.classes) as tf.Tensor2D;
    try {
      // Gradients of the first step, in checkpoint layout.
      const vars = [...model.params.values()];
      const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x), y), vars);
      assert.ok(Math.abs(value.dataSync()[0]! - fx.steps[0]!.loss) < 1e-5, `loss ${value.dataSync()[0]} vs ${fx.steps[0]!.loss}`);
      for (const [key, v] of model.params) {
        const g = model.toCheckpoint(key, { shape: v.shape, data: grads[v.name]!.dataSync() as Float32Array });
        const diff = maxAbsDiff(g.data, fx.steps[0]!.grads[key]!.data);
        assert.ok(diff < 1e-5, `${backend}: gradient of ${key} differs by ${diff}`);
      }
      tf.dispose([value, ...Object.values(grads)]);

      const adam = new Adam(model.params, { lr: c.lr, beta1: c.betas[0], beta2: c.betas[1], eps: c.eps });
      for (const [i, ref] of fx.steps.entries()) {
        const r = trainStep(model, adam, x, (out) => crossEntropy(out, y));
        assert.ok(Math.abs(r.loss - ref.loss) < 1e-5, `step ${i + 1}: loss ${r.loss} vs ${ref.loss}`);
        const w = await hostParams(model);
        for (const [key, t] of w) {
          assert.deepEqual(t.shape, ref.weights[key]!.shape, `${key} shape`);
          const diff = maxAbsDiff(t.data, ref.weights[key]!.data);
          assert.ok(diff < 1e-4, `${backend} step ${i + 1}: ${key} differs from PyTorch by ${diff}`);
        }
      }
      adam.dispose();
    } finally {
      tf.dispose([x, y]);
      model.dispose();
    }
  });
}
