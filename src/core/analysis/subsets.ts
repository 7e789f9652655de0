/**
 * Random expert orders and masks. Random subsets are drawn per input from a stream seeded by (seed, the input's
 * index in the dataset), so a shard draws exactly what one whole run draws for the same inputs. One uniformly
 * random permutation per trial and MoE layer serves every k: its first k experts are a uniform k-subset.
 * Masks are host arrays (1 keep / 0 drop), as the engine interface takes them.
 */
import { PRNG_STEP, mixSeed, mulberry32, prngState } from '../train/prng';

/**
 * [trials][layers][n] permutations for the input at `index` (Fisher–Yates, i from n−1 down to 1), drawn from
 * createPrng(mixSeed(seed, index)) — inline, as this runs for every input and trial.
 */
export function randomOrders(seed: number, index: number, trials: number, layers: number, n: number, out = new Int32Array(trials * layers * n)): Int32Array {
  let state = prngState(mixSeed(seed, index));
  for (let t = 0; t < trials * layers; t++) {
    const o = t * n;
    for (let e = 0; e < n; e++) out[o + e] = e;
    for (let a = n - 1; a > 0; a--) {
      state = (state + PRNG_STEP) | 0;
      const j = Math.floor(mulberry32(state) * (a + 1));
      const tmp = out[o + a] as number;
      out[o + a] = out[o + j] as number;
      out[o + j] = tmp;
    }
  }
  return out;
}

/**
 * Write [b, n] keep-mask rows from per-input orders into `out` at row `outRow`: row i keeps
 * orders[i·stride + offset .. + k).
 */
export function writeMask(out: Uint8Array, outRow: number, orders: Int32Array, b: number, n: number, k: number, stride = n, offset = 0): void {
  out.fill(0, outRow * n, (outRow + b) * n);
  for (let i = 0; i < b; i++) {
    for (let a = 0; a < k; a++) out[(outRow + i) * n + (orders[i * stride + offset + a] as number)] = 1;
  }
}
