import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../src/core/io/writeSafetensors';
import type { Batch, Dataset } from '../../../src/core/data/types';
import { evaluate } from '../../../src/core/engine/evaluate';
import { loadModel } from '../../../src/core/engine/loadModel';
import type { SoftMoeModel } from '../../../src/core/engine/model';
import { SoftMoeError } from '../../../src/core/errors';
import { FIXTURES, argmaxRows, fixtureImages, readJson, useBackend } from './helpers';
import { engineOf } from '../analysis/fakeModel';

function memoryDataset(x: Float32Array, y: number[], shape: [number, number, number], numClasses = 10): Dataset {
  const per = shape[0] * shape[1] * shape[2];
  return {
    name: 'fixture', path: 'fixture', split: 'test', numExamples: y.length, shape, numClasses,
    classNames: Array.from({ length: numClasses }, (_, i) => `c${i}`),
    async *batches(batchSize: number): AsyncIterable<Batch> {
      for (let s = 0; s < y.length; s += batchSize) {
        const e = Math.min(y.length, s + batchSize);
        yield { x: x.subarray(s * per, e * per), y: Int32Array.from(y.slice(s, e)), size: e - s, start: s };
      }
    },
    async close() {},
  };
}

describe('evaluate', () => {
  let model: SoftMoeModel;
  before(async () => {
    await useBackend('wasm');
    model = await loadModel(join(FIXTURES, 'mnist_n4', 'model.safetensors'));
  });
  after(() => model.dispose());

  it('counts the predictions PyTorch makes, per class, whatever the batch size', async () => {
    const labels = readJson<number[]>('labels.json');
    const full = readJson<{ cases: Array<{ name: string; logits: number[] }> }>('mnist_n4/cases.json').cases.find((c) => c.name === 'full');
    assert.ok(full);
    const torchPred = argmaxRows(full.logits, 10);
    const expected = torchPred.filter((p, i) => p === labels[i]).length;
    const progress: number[] = [];
    for (const batchSize of [7, 64]) {
      const r = await evaluate(engineOf(model), memoryDataset(fixtureImages(), labels, [28, 28, 1]), { batchSize, onProgress: (d) => progress.push(d) });
      assert.equal(r.correct, expected);
      assert.equal(r.numExamples, 64);
      assert.equal(r.accuracy, expected / 64);
      assert.equal(r.perClass.reduce((a, k) => a + k.correct, 0), expected);
      assert.equal(r.perClass.reduce((a, k) => a + k.support, 0), 64);
      for (let k = 0; k < 10; k++) assert.equal(r.perClass[k].support, labels.filter((l) => l === k).length);
      assert.equal(r.backend, 'wasm');
    }
    assert.equal(progress.at(-1), 64);
  });

  it('refuses a dataset whose channels, size or classes do not fit, naming what differs', async () => {
    const labels = [0, 1];
    const rgb = memoryDataset(new Float32Array(2 * 28 * 28 * 3), labels, [28, 28, 3]);
    await assert.rejects(evaluate(engineOf(model), rgb), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && /28×28×3 but the model expects 28×28×1: convert the images to greyscale/.test(e.userMessage));
    const big = memoryDataset(new Float32Array(2 * 32 * 32), labels, [32, 32, 1]);
    await assert.rejects(evaluate(engineOf(model), big), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && /32×32×1 but the model expects 28×28×1: resize/.test(e.userMessage));
    const many = memoryDataset(new Float32Array(2 * 28 * 28), labels, [28, 28, 1], 100);
    await assert.rejects(evaluate(engineOf(model), many), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_DATASET' && /100 classes but the model predicts 10/.test(e.userMessage));
    const few = memoryDataset(new Float32Array(2 * 28 * 28), labels, [28, 28, 1], 2);
    await assert.rejects(evaluate(engineOf(model), few), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_DATASET' && /2 classes but the model predicts 10/.test(e.userMessage));
    const badLabel = memoryDataset(new Float32Array(2 * 28 * 28), [0, 12], [28, 28, 1]);
    await assert.rejects(evaluate(engineOf(model), badLabel), (e: unknown) => e instanceof SoftMoeError && /label 12/.test(e.userMessage));
  });

  it('stops between batches when cancelled', async () => {
    const ac = new AbortController();
    const labels = readJson<number[]>('labels.json');
    const run = evaluate(engineOf(model), memoryDataset(fixtureImages(), labels, [28, 28, 1]), { batchSize: 8, signal: ac.signal, onProgress: () => ac.abort() });
    await assert.rejects(run, (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CANCELLED');
  });
});

describe('loadModel', () => {
  it('refuses a lucidrains layer inside no known model with E_UNSUPPORTED naming what it found and where to go', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-engine-'));
    try {
      const d = 8, n = 2, p = 1, h = 32;
      const t = (name: string, shape: number[]) => ({ name, dtype: 'F32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
      const tensors = [t('norm.gamma', [d]), t('slot_norm.gamma', [d]), t('slot_embeds', [n, p, d])];
      for (let e = 0; e < n; e++) {
        tensors.push(t(`experts.experts.${e}.0.weight`, [h, d]), t(`experts.experts.${e}.0.bias`, [h]), t(`experts.experts.${e}.3.weight`, [d, h]), t(`experts.experts.${e}.3.bias`, [d]));
      }
      const file = join(dir, 'lucid.safetensors');
      await writeSafetensors(file, tensors);
      await assert.rejects(loadModel(file), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_UNSUPPORTED'
        && e.userMessage.includes(`${file}: 1 lucidrains Soft MoE layer (at the top level; n = 2, p = 1, d = 8) outside the built-in models`)
        && e.userMessage.includes("(README, 'Your own model')") && e.userMessage.includes('--engine torch')
        && e.userMessage.includes('softmoe inspect says why') && !e.userMessage.includes('decoder.1.weight'));
      // The same layer with the paper's decoder beside it is the MNIST model, and runs.
      await writeSafetensors(file, [...tensors.map((x) => ({ ...x, shape: x.shape.map((v) => (v === d ? 196 : v === h ? 8 : v)), data: new Float32Array(x.shape.map((v) => (v === d ? 196 : v === h ? 8 : v)).reduce((a, b) => a * b, 1)) })),
        t('decoder.1.weight', [10, 4 * 196])]);
      const model = await loadModel(file);
      assert.equal(model.info.architecture, 'mnist-softmoe');
      assert.equal(model.info.moeLayers[0].layout, 'lucidrains');
      model.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
