import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../../src/core/data/openDataset';
import { assertBytesOver255, collect, expected, fx } from './helpers';

test('CIFAR-10: test_batch.bin, planar CHW records become HWC, names from batches.meta.txt', async () => {
  const ds = await openDataset(fx('cifar'));
  const want = expected.cifar10_test;
  assert.equal(ds.format, 'cifar');
  assert.deepEqual(ds.shape, [32, 32, 3]);
  assert.equal(ds.numClasses, 10);
  assert.deepEqual(ds.classNames.slice(0, 2), ['airplane', 'automobile']);
  assert.equal(ds.classNames.length, 10);
  const got = await collect(ds, 3);
  assert.deepEqual(got.y, want.y);
  assertBytesOver255(got.x, want.x);
  await ds.close();
});

test('CIFAR-10 train: data_batch_1..n read as one dataset, batches that cross file boundaries', async () => {
  const ds = await openDataset(fx('cifar', 'cifar-10-batches-bin'), { split: 'train' });
  const want = expected.cifar10_train;
  assert.equal(ds.numExamples, 5);
  const got = await collect(ds, 2);
  assert.deepEqual(got.sizes, [2, 2, 1]);
  assert.deepEqual(got.y, want.y);
  assertBytesOver255(got.x, want.x);
  const shard = await collect(ds, 4, { start: 2, end: 5 });
  assert.deepEqual(shard.y, want.y.slice(2, 5));
  assertBytesOver255(shard.x, want.x.slice(2, 5));
  await ds.close();
});

test('CIFAR-100: the fine label (second byte) and fine_label_names.txt', async () => {
  for (const path of [fx('cifar100'), fx('cifar100', 'test.bin')]) {
    const ds = await openDataset(path);
    const want = expected.cifar100_test;
    assert.equal(ds.numClasses, 100);
    assert.equal(ds.classNames[want.y[0]], `fine${want.y[0]}`);
    const got = await collect(ds, 8);
    assert.deepEqual(got.y, want.y);
    assertBytesOver255(got.x, want.x);
    await ds.close();
  }
});
