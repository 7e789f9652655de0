import { test } from 'node:test';
import { openDataset } from '../../../src/core/data/openDataset';
import type { Dataset } from '../../../src/core/data/types';
import { collect, fx, rejectsWith } from './helpers';

/** Open and read everything: some faults only show while streaming. */
async function readAll(path: string, opts = {}): Promise<Dataset> {
  const ds = await openDataset(path, opts);
  try {
    await collect(ds, 4);
  } finally {
    await ds.close();
  }
  return ds;
}

const cases: Array<[string, string, RegExp, object?]> = [
  ['missing path', fx('does-not-exist'), /does-not-exist does not exist/],
  ['missing file of a pair', `${fx('idx', 'raw', 't10k-images-idx3-ubyte')},${fx('nope')}`, /nope does not exist/],
  ['IDX wrong magic', fx('idx-bad', 'wrong-magic'), /t10k-images-idx3-ubyte is not an IDX file: wrong magic number 0x12340803/],
  ['IDX float data', fx('idx-bad', 'float-type'), /holds float32 data; only unsigned-byte IDX/],
  ['IDX count mismatch', fx('idx-bad', 'count-mismatch'), /count mismatch: t10k-images-idx3-ubyte.gz has 7 images but t10k-labels-idx1-ubyte.gz has 6 labels/],
  ['IDX truncated raw', fx('idx-bad', 'truncated-raw'), /t10k-images-idx3-ubyte is truncated: its header promises 7 records/],
  ['IDX truncated gzip', fx('idx-bad', 'truncated-gz'), /t10k-images-idx3-ubyte.gz is truncated/],
  ['IDX missing labels', fx('idx-bad', 'no-labels'), /has t10k-images-idx3-ubyte.gz but no labels file/],
  ['IDX missing labels (explicit file)', fx('idx-bad', 'no-labels', 't10k-images-idx3-ubyte.gz'), /no labels file beside .*t10k-images-idx3-ubyte.gz/],
  ['IDX split absent', fx('idx-bad', 'no-labels'), /holds IDX files but none for the train split/, { split: 'train' }],
  ['CIFAR truncated', fx('cifar-bad'), /test_batch.bin is truncated or not a CIFAR-10 batch: \d+ bytes is not a whole number of 3073-byte records/],
  ['npz count mismatch', fx('npy-bad', 'count-mismatch.npz'), /count mismatch: count-mismatch.npz:x has 5 images but count-mismatch.npz:y has 4 labels/],
  ['npz object dtype', fx('npy-bad', 'object-images.npz'), /object-images.npz:x: has object dtype \(it would need pickle\), which is never read/],
  ['npz no labels', fx('npy-bad', 'no-labels.npz'), /no-labels.npz has no labels array for the test split .*it has: x/],
  ['npz non-square (N, D)', fx('npy-bad', 'non-square.npz'), /15 values per example is not a square image/],
  ['npz Fortran order', fx('npy-bad', 'fortran.npz'), /stored in Fortran order; save it with np.ascontiguousarray/],
  ['npz negative label', fx('npy-bad', 'negative-label.npz'), /label -1 of example 2 is not a class id/],
  ['npz not a zip', fx('npy-bad', 'not-a-zip.npz'), /not-a-zip.npz is not a readable .npz \(zip\) file/],
  ['npy truncated', fx('npy-bad', 'truncated'), /x.npy: header says shape \(5, 2, 3, 1\) of \|u1 = 30 bytes, but the file holds 26 bytes of data/],
  ['empty class folder', fx('images-bad', 'empty-class'), /class folder .*cat holds no PNG or JPEG images/],
  ['undecodable image', fx('images-bad', 'undecodable'), /cannot decode image .*broken.png/],
  ['images of mixed sizes', fx('images-bad', 'mixed-sizes'), /image .*b.png is 5×5 but a.png is 6×4; give an image size/],
  ['nothing recognisable', fx('images', 'test', 'cat'), /holds no dataset we read/],
  ['limit 0', fx('idx', 'raw'), /--limit must be a positive whole number of examples, got 0/, { limit: 0 }],
  ['limit negative', fx('idx', 'raw'), /got -3/, { limit: -3 }],
  ['bad channels', fx('idx', 'raw'), /image channels must be 1 or 3, got 2/, { image: { size: [8, 8], channels: 2 } }],
];

for (const [what, path, re, opts] of cases) {
  test(`E_DATASET: ${what}`, () => rejectsWith(readAll(path, opts), 'E_DATASET', re));
}
