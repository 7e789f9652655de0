import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../../src/core/data/openDataset';
import { assertBytesOver255, collect, expected, fx } from './helpers';

for (const folder of ['raw', 'gz']) {
  for (const split of ['test', 'train'] as const) {
    test(`IDX ${folder} folder, ${split} split: every value as written`, async () => {
      const ds = await openDataset(fx('idx', folder), split === 'test' ? {} : { split });
      try {
        const want = expected[`idx_${split}`];
        assert.equal(ds.split, split);
        assert.equal(ds.format, 'idx');
        assert.deepEqual(ds.shape, [4, 5, 1]);
        assert.equal(ds.numExamples, want.y.length);
        assert.equal(ds.numClasses, 10);
        const got = await collect(ds, 3);
        assert.deepEqual(got.y, want.y);
        assertBytesOver255(got.x, want.x);
        assert.deepEqual(got.starts, got.starts.map((_, i) => i * 3));
      } finally {
        await ds.close();
      }
    });
  }
}

test('IDX: an explicit images file finds its labels beside it; a pair can be given as images,labels', async () => {
  const want = expected.idx_test;
  const a = await openDataset(fx('idx', 'gz', 't10k-images-idx3-ubyte.gz'));
  const b = await openDataset(`${fx('idx', 'raw', 't10k-images-idx3-ubyte')},${fx('idx', 'gz', 't10k-labels-idx1-ubyte.gz')}`);
  for (const ds of [a, b]) {
    const got = await collect(ds, 100);
    assert.deepEqual(got.y, want.y);
    assertBytesOver255(got.x, want.x);
    await ds.close();
  }
});

test('IDX: Fashion-MNIST class names when the folder name says fashion, numbers otherwise', async () => {
  const f = await openDataset(fx('idx', 'fashion-mini'));
  assert.equal(f.classNames[0], 'T-shirt/top');
  assert.equal(f.classNames[9], 'Ankle boot');
  assert.match(f.name, /fashion-mnist/);
  const r = await openDataset(fx('idx', 'raw'));
  assert.deepEqual(r.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  await Promise.all([f.close(), r.close()]);
});

test('IDX gz: a shard [start, end) that starts mid-stream yields the same values as a full pass', async () => {
  const want = expected.idx_train;
  const ds = await openDataset(fx('idx', 'gz'), { split: 'train' });
  const got = await collect(ds, 2, { start: 5, end: 10 });
  assert.deepEqual(got.starts, [5, 7, 9]);
  assert.deepEqual(got.sizes, [2, 2, 1]);
  assert.deepEqual(got.y, want.y.slice(5, 10));
  assertBytesOver255(got.x, want.x.slice(5, 10));
  await ds.close();
});
