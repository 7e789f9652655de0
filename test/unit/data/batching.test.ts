import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../../src/core/data/openDataset';
import { checkDatasetFitsModel } from '../../../src/core/data/checkDatasetFitsModel';
import { SoftMoeError } from '../../../src/core/errors';
import { collect, expected, fx, rejectsWith } from './helpers';

test('limit keeps the first N examples, and end is clamped to it', async () => {
  const ds = await openDataset(fx('idx', 'gz'), { split: 'train', limit: 4 });
  assert.equal(ds.numExamples, 4);
  const got = await collect(ds, 3, { end: 100 });
  assert.deepEqual(got.y, expected.idx_train.y.slice(0, 4));
  assert.deepEqual(got.sizes, [3, 1]);
  await ds.close();
});

test('a limit larger than the dataset keeps it all', async () => {
  const ds = await openDataset(fx('idx', 'raw'), { limit: 1000 });
  assert.equal(ds.numExamples, expected.idx_test.y.length);
  await ds.close();
});

test('the AbortSignal is honoured between batches', async () => {
  const ds = await openDataset(fx('idx', 'gz'), { split: 'train' });
  const ac = new AbortController();
  const starts: number[] = [];
  await assert.rejects(
    (async () => {
      for await (const b of ds.batches(2, { signal: ac.signal })) {
        starts.push(b.start);
        ac.abort();
      }
    })(),
    (err: unknown) => err instanceof SoftMoeError && err.code === 'E_CANCELLED',
  );
  assert.deepEqual(starts, [0]);
  await ds.close();
});

test('bad batch sizes and ranges are usage errors', async () => {
  const ds = await openDataset(fx('idx', 'raw'));
  await rejectsWith(collect(ds, 0), 'E_USAGE', /batch size must be a positive whole number, got 0/);
  await rejectsWith(collect(ds, 2, { start: 5, end: 3 }), 'E_USAGE', /bad example range \[5, 3\)/);
  await ds.close();
});

test('array datasets are converted to a model geometry when asked: grey IDX → 3 channels without resampling', async () => {
  const ds = await openDataset(fx('idx', 'raw'), { image: { size: [4, 5], channels: 3 } });
  assert.deepEqual(ds.shape, [4, 5, 3]);
  const got = await collect(ds, 7);
  const grey = expected.idx_test.x[0];
  assert.deepEqual(got.x[0], grey.flatMap((v) => [v, v, v]).map((v) => Math.fround(v / 255)));
  await ds.close();
});

test('array datasets resized to a model geometry: 4×5 → 8×8', async () => {
  const ds = await openDataset(fx('idx', 'raw'), { image: { size: [8, 8], channels: 1 } });
  assert.deepEqual(ds.shape, [8, 8, 1]);
  const got = await collect(ds, 7);
  assert.equal(got.x[0].length, 64);
  assert.ok(got.x.every((img) => img.every((v) => v >= 0 && v <= 1)));
  await ds.close();
});

test('checkDatasetFitsModel names both shapes, or the class counts', async () => {
  const ds = await openDataset(fx('cifar'));
  assert.throws(() => checkDatasetFitsModel(ds, { inputShape: [28, 28, 1], numClasses: 10 }), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_SHAPE' && /dataset images are 32×32×3 but the model expects 28×28×1/.test(e.userMessage));
  assert.throws(() => checkDatasetFitsModel(ds, { inputShape: [32, 32, 1], numClasses: 10 }), (e: unknown) => e instanceof SoftMoeError && /convert the images to greyscale/.test(e.userMessage));
  assert.throws(() => checkDatasetFitsModel(ds, { inputShape: [32, 32, 3], numClasses: 5 }), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_DATASET' && /has 10 classes but the model predicts 5/.test(e.userMessage));
  assert.doesNotThrow(() => checkDatasetFitsModel(ds, { inputShape: [32, 32, 3], numClasses: 10 }));
  assert.throws(() => checkDatasetFitsModel(ds, { inputShape: [32, 32, 3], numClasses: 12 }), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_DATASET' && /has 10 classes but the model predicts 12/.test(e.userMessage));
  await ds.close();
});
