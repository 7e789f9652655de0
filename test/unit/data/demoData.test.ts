import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../../src/core/data/openDataset';
import { FASHION_MNIST_CLASSES } from '../../../src/core/data/classNames';

const DEMO = join(__dirname, '..', '..', '..', 'media', 'demo', 'data');
const FULL = '/usr/share/datasets/fashion-mnist';

test('embedded demo data opens as a 2,000-image Fashion-MNIST test split with its class names', async () => {
  const ds = await openDataset(DEMO);
  assert.equal(ds.split, 'test');
  assert.equal(ds.numExamples, 2000);
  assert.deepEqual(ds.shape, [28, 28, 1]);
  assert.deepEqual(ds.classNames, FASHION_MNIST_CLASSES);
  const counts = new Array<number>(10).fill(0);
  for await (const b of ds.batches(500)) for (const y of b.y) counts[y]++;
  assert.ok(counts.every((c) => c > 100), `every class is present: ${counts.join(',')}`);
  await ds.close();
});

test('embedded demo data is exactly the first 2,000 images of the Debian test set', { skip: !existsSync(FULL) && `${FULL} not installed` }, async () => {
  const demo = await openDataset(DEMO);
  const full = await openDataset(FULL, { limit: 2000 });
  const a = demo.batches(700)[Symbol.asyncIterator]();
  const b = full.batches(700)[Symbol.asyncIterator]();
  for (;;) {
    const [x, y] = await Promise.all([a.next(), b.next()]);
    assert.equal(x.done, y.done);
    if (x.done || y.done) break;
    assert.deepEqual(x.value.y, y.value.y);
    assert.deepEqual(x.value.x, y.value.x);
  }
  await Promise.all([demo.close(), full.close()]);
});
