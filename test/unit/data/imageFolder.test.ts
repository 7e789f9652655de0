import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDataset } from '../../../src/core/data/openDataset';
import { assertClose, collect, expected, fx } from './helpers';

const want = expected.images_test;
const isJpeg = (i: number): boolean => want.files[i].endsWith('.jpg');

test('image folder: test/ subfolder, sorted classes, PNG exact and JPEG within a few levels of Pillow', async () => {
  const ds = await openDataset(fx('images'), { image: undefined });
  assert.equal(ds.format, 'image-folder');
  assert.deepEqual(ds.classNames, ['cat', 'dog']);
  // The first file is RGB, so the dataset is RGB; the grey PNG is replicated to three channels.
  assert.deepEqual(ds.shape, [4, 6, 3]);
  const got = await collect(ds, 3);
  assert.deepEqual(got.y, want.y);
  for (let i = 0; i < want.files.length; i++) {
    const bytes = [want.x_rgb[i]];
    if (isJpeg(i)) assertClose([got.x[i]], bytes.map((r) => r.map((v) => v / 255)), want.jpeg_tolerance / 255, want.files[i]);
    else assert.deepEqual(got.x[i], want.x_rgb[i].map((v) => Math.fround(v / 255)), want.files[i]);
  }
  await ds.close();
});

test('image folder: the train split uses train/', async () => {
  const ds = await openDataset(fx('images'), { split: 'train' });
  assert.equal(ds.numExamples, 1);
  assert.deepEqual(ds.classNames, ['cat']);
  await ds.close();
});

for (const mode of ['bilinear', 'bicubic'] as const) {
  test(`image folder: timm eval transform (short side 9, centre crop 8) matches Pillow ${mode} within 2/255`, async () => {
    const ds = await openDataset(fx('images'), { image: { size: [8, 8], channels: 3, interpolation: mode } });
    assert.deepEqual(ds.shape, [8, 8, 3]);
    const got = await collect(ds, 4);
    const ref = expected[`images_fit_${mode}`].map((r) => r.map((v) => v / 255));
    for (let i = 0; i < ref.length; i++) {
      // JPEG decoders differ by a few levels before resizing; PNGs only by Pillow's 8-bit rounding between passes.
      assertClose([got.x[i]], [ref[i]], (isJpeg(i) ? want.jpeg_tolerance + 2 : 2) / 255, `${mode} ${want.files[i]}`);
    }
    await ds.close();
  });
}

test('image folder: RGB → grey uses Pillow\'s L weights', async () => {
  const ds = await openDataset(fx('images'), { image: { size: [4, 6], channels: 1, cropPct: 1 } });
  assert.deepEqual(ds.shape, [4, 6, 1]);
  const got = await collect(ds, 4);
  const ref = expected.images_grey.map((r) => r.map((v) => v / 255));
  for (let i = 0; i < ref.length; i++) {
    // Pillow rounds L to whole levels (and the JPEG decoders differ slightly).
    assertClose([got.x[i]], [ref[i]], (isJpeg(i) ? want.jpeg_tolerance + 1 : 1) / 255, `grey ${want.files[i]}`);
  }
  await ds.close();
});
