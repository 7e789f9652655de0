// softmoe train's core: determinism for a seed, resume (weights AND Adam state), the checkpoint layout PyTorch users
// load, args.json / train_log.json, refusal to overwrite, cancellation, and agreement with the engine's loader.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '../../../src/core/engine/backend';
import { loadModel } from '../../../src/core/engine/loadModel';
import { evaluate } from '../../../src/core/engine/evaluate';
import { SoftMoeError } from '../../../src/core/errors';
import { openCheckpoint } from '../../../src/core/io/openCheckpoint';
import { trainSuite, type TrainSuiteOptions } from '../../../src/core/train/trainSuite';
import { memoryDataset } from './memoryDataset';
import { engineOf } from '../analysis/fakeModel';

let root = '';
before(async () => {
  await initBackend('wasm');
  root = mkdtempSync(join(tmpdir(), 'softmoe-train-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

const train = memoryDataset(600, 'train', 1);
const testSet = memoryDataset(200, 'test', 2);

function opts(out: string, over: Partial<TrainSuiteOptions> = {}): TrainSuiteOptions {
  return { experts: [1, 4], epochs: 2, seed: 7, batchSize: 64, lr: 1e-3, train, test: testSet, outDir: join(root, out), saveEpochs: [1], half: false, resume: false, backend: 'wasm', ...over };
}

const bytes = (out: string, n: number, e: number) => readFileSync(join(root, out, `n${n}`, `ep${e}_moe.safetensors`));

test('two runs with one seed write identical weights; another seed does not', async () => {
  await trainSuite(opts('a'));
  await trainSuite(opts('b'));
  await trainSuite(opts('c', { seed: 8, experts: [4] }));
  for (const n of [1, 4]) assert.ok(bytes('a', n, 2).equals(bytes('b', n, 2)), `n=${n} differs between identical runs`);
  assert.ok(!bytes('a', 4, 2).equals(bytes('c', 4, 2)), 'a different seed gave the same weights');
});

test('a run resumed after epoch 1 ends with the same weights as an uninterrupted run', async () => {
  await trainSuite(opts('r', { epochs: 1 }));
  const runs = await trainSuite(opts('r', { resume: true }));
  assert.deepEqual(runs.map((r) => r.resumedFrom), [1, 1]);
  for (const n of [1, 4]) assert.ok(bytes('a', n, 2).equals(bytes('r', n, 2)), `n=${n}: resumed weights differ`);
  const log = JSON.parse(readFileSync(join(root, 'r', 'n4', 'train_log.json'), 'utf8')) as { epochs: Array<{ epoch: number }> };
  assert.deepEqual(log.epochs.map((e) => e.epoch), [1, 2]);
});

test('checkpoints have the paper state_dict keys and shapes; F16 with half; args.json and the log', async () => {
  await trainSuite(opts('h', { experts: [4], epochs: 1, half: true }));
  const ckpt = await openCheckpoint(join(root, 'h', 'n4', 'ep1_moe.safetensors'));
  try {
    const shapes = Object.fromEntries([...ckpt.tensors].map(([k, t]) => [k, t.shape]));
    const expected: Record<string, number[]> = { phi: [196, 4], normalization_scale_param: [1], 'decoder.1.weight': [10, 784] };
    for (let i = 0; i < 4; i++) {
      expected[`experts.${i}.1.weight`] = [196, 196];
      expected[`experts.${i}.3.weight`] = [196, 196];
    }
    assert.deepEqual(shapes, expected);
    assert.ok([...ckpt.tensors.values()].every((t) => t.dtype === 'F16'));
  } finally {
    await ckpt.close();
  }
  const args = JSON.parse(readFileSync(join(root, 'h', 'n4', 'args.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(args.num_experts, 4);
  assert.equal(args.num_epochs, 1);
  assert.equal(args.batch_size, 64);
  assert.equal(args.seed, 7);
  assert.equal(args.patch_size, 14);
  assert.equal(args.softmoe_expert_hidden_dim, 196);
  const log = JSON.parse(readFileSync(join(root, 'h', 'n4', 'train_log.json'), 'utf8')) as { epochs: Array<Record<string, number>> };
  const e = log.epochs[0]!;
  for (const k of ['loss', 'trainAccuracy', 'testAccuracy']) assert.ok(Number.isFinite(e[k]), `${k} missing`);
});

test("the engine's loader runs a trained checkpoint with the accuracy the trainer logged", async () => {
  const log = JSON.parse(readFileSync(join(root, 'a', 'n4', 'train_log.json'), 'utf8')) as { epochs: Array<{ testAccuracy: number }> };
  const model = await loadModel(join(root, 'a', 'n4', 'ep2_moe.safetensors'));
  try {
    const r = await evaluate(engineOf(model), testSet);
    assert.equal(r.accuracy, log.epochs[1]!.testAccuracy);
    assert.ok(r.accuracy > 0.2, `accuracy ${r.accuracy}: training learned nothing`);
  } finally {
    model.dispose();
  }
});

test('a folder that holds a run is not overwritten without resume; abort cancels', async () => {
  await assert.rejects(trainSuite(opts('a')), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_USAGE');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(trainSuite(opts('x', { signal: ac.signal })), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CANCELLED');
});
