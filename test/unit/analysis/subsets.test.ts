/**
 * Random subsets: randomOrders draws, inline, exactly the permutations a Fisher–Yates shuffle over
 * createPrng(mixSeed(seed, index)) gives (so results stay reproducible from the seed alone, shards included), and
 * each is a permutation of the experts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomOrders } from '../../../src/core/analysis/subsets';
import { createPrng, mixSeed } from '../../../src/core/train/prng';

/** The plain definition: one generator per input, trials × layers shuffles of 0..n-1. */
function reference(seed: number, index: number, trials: number, layers: number, n: number): Int32Array {
  const rng = createPrng(mixSeed(seed, index));
  const out = new Int32Array(trials * layers * n);
  for (let t = 0; t < trials * layers; t++) {
    const o = t * n;
    for (let e = 0; e < n; e++) out[o + e] = e;
    for (let a = n - 1; a > 0; a--) {
      const j = rng.int(a + 1);
      [out[o + a], out[o + j]] = [out[o + j] as number, out[o + a] as number];
    }
  }
  return out;
}

describe('randomOrders', () => {
  it('draws the Fisher–Yates permutations of createPrng(mixSeed(seed, index))', () => {
    for (const [seed, n, trials, layers] of [[0, 16, 10, 1], [7, 64, 3, 2], [123456789, 5, 4, 3], [2 ** 31 + 5, 1, 2, 1]] as const) {
      for (const index of [0, 1, 59999, 2 ** 32 + 3]) {
        assert.deepEqual(randomOrders(seed, index, trials, layers, n), reference(seed, index, trials, layers, n), `seed ${seed}, index ${index}, n ${n}`);
      }
    }
  });

  it('gives permutations of the experts, different for different inputs', () => {
    const a = randomOrders(3, 10, 5, 1, 16);
    for (let t = 0; t < 5; t++) assert.deepEqual([...a.subarray(t * 16, (t + 1) * 16)].sort((x, y) => x - y), Array.from({ length: 16 }, (_, e) => e));
    assert.notDeepEqual(randomOrders(3, 11, 5, 1, 16), a);
  });
});
