import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../../src/core/data/openDataset';
import { collect, expected, fx } from './helpers';

/** Expected floats as float32 holds them. */
const f32 = (rows: number[][]): number[][] => rows.map((r) => r.map((v) => Math.fround(v)));

const cases: Array<{ file: string; key: string; split?: 'train' | 'test' }> = [
  { file: 'nhw-uint8.npz', key: 'nhw_uint8' },
  { file: 'nhwc-float-split.npz', key: 'nhwc_float_test' },
  { file: 'nhwc-float-split.npz', key: 'nhwc_float_train', split: 'train' },
  { file: 'nchw-uint8.npz', key: 'nchw_uint8' },
  { file: 'flat-onehot.npz', key: 'flat_onehot' },
  { file: 'big-endian.npz', key: 'big_endian' },
];

for (const c of cases) {
  test(`npz ${c.file} (${c.split ?? 'test'}): layout, scaling and labels as written`, async () => {
    const ds = await openDataset(fx('npy', c.file), c.split ? { split: c.split } : {});
    const want = expected[c.key];
    assert.equal(ds.format, 'npz');
    assert.deepEqual(ds.shape, want.shape);
    const got = await collect(ds, 2);
    assert.deepEqual(got.y, want.y);
    assert.deepEqual(got.x, f32(want.x));
    // One-hot targets carry their class count (3 columns); integer labels give max + 1.
    assert.equal(ds.numClasses, c.key === 'flat_onehot' ? 3 : Math.max(...want.y) + 1);
    await ds.close();
  });
}

test('npy pair: a folder, an explicit images file, and images,labels all read the same; classes.txt names', async () => {
  const want = expected.npy_pair;
  const paths = [fx('npy-pair'), fx('npy-pair', 'x_test.npy'), `${fx('npy-pair', 'x_test.npy')},${fx('npy-pair', 'y_test.npy')}`];
  for (const p of paths) {
    const ds = await openDataset(p);
    assert.equal(ds.format, 'npy');
    assert.deepEqual(ds.shape, want.shape);
    assert.deepEqual(ds.classNames, ['zero', 'one', 'two']);
    const got = await collect(ds, 4, { start: 1 });
    assert.deepEqual(got.y, want.y.slice(1));
    assert.deepEqual(got.x, f32(want.x.slice(1)));
    await ds.close();
  }
});

test('npz compressed: a shard that starts mid-entry matches the full pass', async () => {
  const ds = await openDataset(fx('npy', 'nchw-uint8.npz'));
  const all = await collect(ds, 10);
  const part = await collect(ds, 1, { start: 3, end: 5 });
  assert.deepEqual(part.x, all.x.slice(3, 5));
  assert.deepEqual(part.y, all.y.slice(3, 5));
  await ds.close();
});
