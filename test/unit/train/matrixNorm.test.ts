// Targets of the Theorem 1 experiment and the seeded randomness the trainer relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { frobeniusNorm, spectralNorm } from '../../../src/core/train/matrixNorm';
import { createPrng, permutation } from '../../../src/core/train/prng';
import { initParams, paperExpertHidden, paperParamSpecs } from '../../../src/core/train/paperMnistSpec';

test('spectral norm of a rank-one matrix u·vᵀ is ‖u‖·‖v‖, of a diagonal one its largest |entry|', () => {
  const u = [1, -2, 0.5, 3];
  const v = [0.3, 1, -1, 2, 0.1];
  const x = u.flatMap((a) => v.map((b) => a * b));
  const nu = Math.hypot(...u);
  const nv = Math.hypot(...v);
  assert.ok(Math.abs(spectralNorm(x, 0, 4, 5) - nu * nv) < 1e-9);
  assert.ok(Math.abs(frobeniusNorm(x, 0, 4, 5) - nu * nv) < 1e-9); // rank one: both norms agree
  const diag = [2, 0, 0, 0, -5, 0, 0, 0, 1];
  assert.ok(Math.abs(spectralNorm(diag, 0, 3, 3) - 5) < 1e-9);
  assert.ok(Math.abs(frobeniusNorm(diag, 0, 3, 3) - Math.sqrt(30)) < 1e-9);
});

test('spectral norm is at most the Frobenius norm and at least Frobenius/√rank on random matrices', () => {
  const rng = createPrng(3);
  for (let t = 0; t < 50; t++) {
    const x = Array.from({ length: 4 * 16 }, () => rng.normal());
    const s = spectralNorm(x, 0, 4, 16);
    const f = frobeniusNorm(x, 0, 4, 16);
    assert.ok(s <= f + 1e-9 && s >= f / 2 - 1e-9, `spectral ${s}, frobenius ${f}`);
  }
});

test('permutations are seeded, complete and differ between seeds', () => {
  const a = permutation(1000, 5);
  assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(a, permutation(1000, 5));
  assert.notDeepEqual(a, permutation(1000, 6));
});

test("initial weights follow the paper: Φ ~ U(−1,1), scale 1, Linear U(±1/√fan_in), h = int(784/n)", () => {
  assert.deepEqual([1, 2, 4, 8, 16, 32, 64].map(paperExpertHidden), [784, 392, 196, 98, 49, 24, 12]);
  const params = initParams(paperParamSpecs(8), 0);
  const byName = new Map(params.map((p) => [p.name, p]));
  const range = (name: string) => {
    const d = byName.get(name)!.data;
    return [Math.min(...d), Math.max(...d)];
  };
  const [plo, phi] = range('phi');
  assert.ok(plo >= -1 && phi < 1 && plo < -0.95 && phi > 0.95);
  assert.deepEqual([...byName.get('normalization_scale_param')!.data], [1]);
  const b1 = 1 / Math.sqrt(196);
  const [lo1, hi1] = range('experts.3.1.weight');
  assert.ok(lo1 >= -b1 && hi1 <= b1 && hi1 > 0.9 * b1);
  const b2 = 1 / Math.sqrt(98);
  const [lo2, hi2] = range('experts.3.3.weight');
  assert.ok(lo2 >= -b2 && hi2 <= b2 && hi2 > 0.9 * b2);
  assert.notDeepEqual(byName.get('experts.0.1.weight')!.data, byName.get('experts.1.1.weight')!.data);
});
