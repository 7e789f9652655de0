import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../../../src/core/data/types';
import { SoftMoeError } from '../../../src/core/errors';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'data');
export const fx = (...p: string[]): string => join(FIXTURES, ...p);

export interface ExpectedSet {
  x: number[][];
  y: number[];
  shape?: number[];
}
export const expected = JSON.parse(readFileSync(fx('expected.json'), 'utf8')) as Record<string, ExpectedSet> & {
  images_test: { files: string[]; y: number[]; x_rgb: number[][]; jpeg_tolerance: number };
  images_fit_bilinear: number[][];
  images_fit_bicubic: number[][];
  images_grey: number[][];
};

/** Every example of a dataset, one array per image, and the batch starts seen. */
export async function collect(ds: Dataset, batchSize: number, range: { start?: number; end?: number } = {}): Promise<{ x: number[][]; y: number[]; starts: number[]; sizes: number[] }> {
  const stride = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const out = { x: [] as number[][], y: [] as number[], starts: [] as number[], sizes: [] as number[] };
  for await (const b of ds.batches(batchSize, range)) {
    assert.equal(b.x.length, b.size * stride);
    assert.equal(b.y.length, b.size);
    out.starts.push(b.start);
    out.sizes.push(b.size);
    for (let i = 0; i < b.size; i++) {
      out.x.push(Array.from(b.x.subarray(i * stride, (i + 1) * stride)));
      out.y.push(b.y[i]);
    }
  }
  return out;
}

/** Assert float images equal bytes/255 exactly (as float32 computes it). */
export function assertBytesOver255(actual: number[][], bytes: number[][]): void {
  assert.equal(actual.length, bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    assert.deepEqual(actual[i], bytes[i].map((v) => Math.fround(v / 255)), `image ${i}`);
  }
}

export function assertClose(actual: number[][], want: number[][], tol: number, what: string): void {
  assert.equal(actual.length, want.length, `${what}: count`);
  for (let i = 0; i < want.length; i++) {
    assert.equal(actual[i].length, want[i].length, `${what} ${i}: length`);
    for (let k = 0; k < want[i].length; k++) {
      const d = Math.abs(actual[i][k] - want[i][k]);
      if (d > tol) assert.fail(`${what} ${i}[${k}]: ${actual[i][k]} vs ${want[i][k]} (|Δ| ${d} > ${tol})`);
    }
  }
}

/** Assert that `p` rejects with a SoftMoeError of `code` whose message matches `re`. */
export async function rejectsWith(p: Promise<unknown>, code: string, re: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof SoftMoeError, `expected a SoftMoeError, got ${String(err)}`);
    assert.equal(err.code, code, err.userMessage);
    assert.match(err.userMessage, re);
    assert.ok(!err.userMessage.includes('\n'), 'one-line message');
    return true;
  });
}
