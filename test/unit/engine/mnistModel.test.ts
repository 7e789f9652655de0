import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadModel } from '../../../src/core/engine/loadModel';
import { disposeTrace, type SoftMoeModel } from '../../../src/core/engine/model';
import { BACKENDS, FIXTURES, TOL, argmaxRows, fixtureImages, maxAbsDiff, readJson, useBackend, values } from './helpers';

interface MnistCases {
  numExperts: number;
  numInputs: number;
  numClasses: number;
  cases: Array<{ name: string; drop?: 'zero' | 'renorm'; mask?: number[]; logits: number[] }>;
  trace: { dispatch: number[]; combine: number[]; slotOutputs: number[] };
}

const perBackendLogits = new Map<string, Float32Array>();

for (const backend of BACKENDS) {
  for (const n of [4, 16]) {
    describe(`paper MNIST model n=${n} matches PyTorch (${backend})`, () => {
      const fx = readJson<MnistCases>(`mnist_n${n}/cases.json`);
      let model: SoftMoeModel;
      let x: tf.Tensor;
      before(async () => {
        await useBackend(backend);
        model = await loadModel(join(FIXTURES, `mnist_n${n}`, 'model.safetensors'));
        const images = tf.tensor4d(fixtureImages(), [fx.numInputs, 28, 28, 1]);
        x = model.preprocess(images);
        images.dispose();
      });
      after(() => {
        x.dispose();
        model.dispose();
      });

      it('describes itself from the checkpoint', () => {
        assert.equal(model.info.architecture, 'mnist-softmoe');
        assert.deepEqual(model.info.inputShape, [28, 28, 1]);
        assert.equal(model.info.moeLayers[0].numExperts, n);
        assert.equal(model.info.moeLayers[0].expertHidden, Math.floor(196 * 4 / n));
        assert.deepEqual(model.info.tokenGrid, { rows: 2, cols: 2, hasClassToken: false });
        assert.ok(model.linearReadout);
      });

      for (const c of fx.cases) {
        it(`${c.name}: max |Δlogit| ≤ ${TOL} and identical argmax`, async () => {
          const mask = c.mask ? tf.tensor2d(c.mask, [fx.numInputs, n]) : undefined;
          const out = model.forward(x, { masks: [mask], drop: c.drop });
          const got = await values(out.logits);
          assert.ok(maxAbsDiff(got, c.logits) <= TOL, `max diff ${maxAbsDiff(got, c.logits)}`);
          assert.deepEqual(argmaxRows(got, fx.numClasses), argmaxRows(c.logits, fx.numClasses));
          const key = `${n}/${c.name}`;
          const other = perBackendLogits.get(key);
          if (other) assert.ok(maxAbsDiff(got, other) <= TOL, 'wasm and cpu agree');
          else perBackendLogits.set(key, got);
          // The traced (unfolded) path gives the same logits.
          const traced = model.forward(x, { masks: [mask], drop: c.drop, trace: true });
          assert.ok(maxAbsDiff(await values(traced.logits), c.logits) <= TOL, 'traced path');
          tf.dispose([out.logits, traced.logits, ]); traced.traces.forEach(disposeTrace);
          mask?.dispose();
        });
      }

      it('hands back dispatch, combine and per-slot expert outputs equal to PyTorch', async () => {
        const first = tf.slice(x, [0, 0, 0, 0], [4, 28, 28, 1]);
        const out = model.forward(first, { trace: true });
        const [t] = out.traces;
        assert.deepEqual(t.dispatch.shape, [4, 4, n, 1]);
        assert.ok(maxAbsDiff(await values(t.dispatch), fx.trace.dispatch) <= TOL);
        assert.ok(maxAbsDiff(await values(t.combine), fx.trace.combine) <= TOL);
        assert.ok(maxAbsDiff(await values(t.slotOutputs), fx.trace.slotOutputs) <= TOL);
        tf.dispose([first, out.logits]); disposeTrace(t);
      });

      it('forward ≡ fromFirstMoe(stem(x)) and leaks no tensors', async () => {
        const before = tf.memory().numTensors;
        const tokens = model.stem(x);
        assert.deepEqual(tokens.shape, [fx.numInputs, 4, 196]);
        const a = model.fromFirstMoe(tokens).logits;
        const b = model.forward(x).logits;
        assert.ok(maxAbsDiff(await values(a), await values(b)) <= 1e-6);
        tf.dispose([tokens, a, b]);
        assert.equal(tf.memory().numTensors, before);
      });
    });
  }
}
