/**
 * The fast path for models whose post-MoE part is linear (the paper's MNIST model: logits = flatten(Y)·Wᵀ + b).
 *
 * With Y_t = Σ_s C_eff[t,s]·Ỹ[s], the logits are Σ_t Σ_s C_eff[t,s]·(W_t·Ỹ[s]) + b. Per input we precompute once
 *   contrib[t, e, :] = Σ_{s∈e} C[t,s]·(W_t·Ỹ[s])     and     mass[t, e] = Σ_{s∈e} C[t,s]
 * from the full (unmasked) trace; then for any kept set K:
 *   zero:   logits = b + Σ_{e∈K} Σ_t contrib[t,e,:]
 *   renorm: logits = b + Σ_t (Σ_{e∈K} contrib[t,e,:]) / (Σ_{e∈K} mass[t,e])
 * (renorm = the combine softmax taken over kept slots only, i.e. C restricted to K and divided by its row sum; D of
 * kept slots is unchanged, so Ỹ is too). A subset costs O(k·classes) (zero) or O(k·m·classes) (renorm) per input.
 */
import type { DropMode } from './schema';
import { SoftMoeError } from '../errors';

export interface ReadoutBatch {
  b: number;
  m: number;
  n: number;
  c: number;
  /** [b, m, n, c]; empty when built without `perToken` (zero drop needs only `total`). */
  contrib: Float64Array;
  /** [b, m, n]; empty when built without `perToken`. */
  mass: Float64Array;
  /** [b, n, c]: contrib summed over tokens (what zero drop needs). */
  total: Float64Array;
  /** [c] */
  bias: Float64Array;
}

/**
 * Per-expert logit contributions of one batch from the engine's trace: the full combine weights [b, m, n, p] and
 * the contributions [b, n, p, m, c] (each slot's expert output through the readout, as if at token t). `perToken`
 * keeps the per-token contributions and masses too, which renorm drop and the oracle need; without it only the
 * token sums are kept (the same values: each token's contribution is summed over its slots first either way).
 */
export function readoutBatch(combine: Float32Array, pr: Float32Array, bias: ArrayLike<number>, dims: { b: number; m: number; n: number; p: number }, perToken = true): ReadoutBatch {
  const { b, m, n, p } = dims;
  const c = bias.length;
  const contrib = new Float64Array(perToken ? b * m * n * c : 0);
  const mass = new Float64Array(perToken ? b * m * n : 0);
  const total = new Float64Array(b * n * c);
  const acc = new Float64Array(c);
  const mc = m * c;
  for (let i = 0; i < b; i++) {
    for (let e = 0; e < n; e++) {
      const to = (i * n + e) * c;
      for (let t = 0; t < m; t++) {
        const row = (i * m + t) * n + e;
        const cb = row * p;
        const pb = (i * n + e) * p * mc + t * c;
        // acc = Σ_s C[t, s]·pr[s, t] in slot order (its first term assigned: 0 + x is x).
        let w = combine[cb] as number;
        let ms = w;
        for (let j = 0; j < c; j++) acc[j] = w * (pr[pb + j] as number);
        for (let s = 1; s < p; s++) {
          w = combine[cb + s] as number;
          ms += w;
          const po = pb + s * mc;
          for (let j = 0; j < c; j++) acc[j] = (acc[j] as number) + w * (pr[po + j] as number);
        }
        for (let j = 0; j < c; j++) total[to + j] = (total[to + j] as number) + (acc[j] as number);
        if (perToken) {
          const co = row * c;
          for (let j = 0; j < c; j++) contrib[co + j] = acc[j] as number;
          mass[row] = ms;
        }
      }
    }
  }
  return { b, m, n, c, contrib, mass, total, bias: Float64Array.from(bias) };
}

/** Index of the largest value in v[o, o+c) (the first one on ties, as argmax in PyTorch and tfjs). */
export function argmaxAt(v: ArrayLike<number>, o: number, c: number): number {
  let best = 0;
  let bv = v[o] as number;
  for (let j = 1; j < c; j++) {
    const x = v[o + j] as number;
    if (x > bv) {
      bv = x;
      best = j;
    }
  }
  return best;
}

/** Evaluates kept sets of experts for the inputs of one batch. */
export class ReadoutEvaluator {
  private readonly logits: Float64Array;
  private readonly num: Float64Array;
  private readonly den: Float64Array;
  private readonly kAt: Int32Array;

  /** `ks` ascending; out arrays are indexed by position in `ks`. */
  constructor(readonly r: ReadoutBatch, readonly ks: number[]) {
    this.logits = new Float64Array(r.c);
    this.num = new Float64Array(r.m * r.c);
    this.den = new Float64Array(r.m);
    this.kAt = new Int32Array(r.n + 1).fill(-1);
    ks.forEach((k, idx) => (this.kAt[k] = idx));
  }

  /** Renorm drop reads the per-token contributions (a batch built without `perToken` has none). */
  private needTokens(): void {
    if (this.r.contrib.length === 0 && this.r.b > 0) throw new SoftMoeError('E_INTERNAL', 'Internal error: renorm drop needs a readout batch built perToken.');
  }

  /** Logits of input i with kept set `members[0..k)` written to `out`. */
  logitsOf(i: number, members: ArrayLike<number>, k: number, drop: DropMode, out: Float64Array): void {
    const { m, n, c, contrib, mass, total, bias } = this.r;
    out.set(bias);
    if (drop === 'zero') {
      for (let a = 0; a < k; a++) {
        const o = (i * n + (members[a] as number)) * c;
        for (let j = 0; j < c; j++) out[j] = (out[j] as number) + (total[o + j] as number);
      }
      return;
    }
    this.needTokens();
    for (let t = 0; t < m; t++) {
      let den = 0;
      const num = this.num;
      num.fill(0, 0, c);
      for (let a = 0; a < k; a++) {
        const e = members[a] as number;
        den += mass[(i * m + t) * n + e] as number;
        const o = ((i * m + t) * n + e) * c;
        for (let j = 0; j < c; j++) num[j] = (num[j] as number) + (contrib[o + j] as number);
      }
      if (den > 0) for (let j = 0; j < c; j++) out[j] = (out[j] as number) + (num[j] as number) / den;
    }
  }

  /** Predictions for every k in `ks`, keeping the first k experts of the order at order[at..]: out[base + kIndex·stride]. */
  predictOrder(i: number, order: ArrayLike<number>, at: number, drop: DropMode, out: Int32Array, base: number, stride: number): void {
    const { m, n, c, contrib, mass, total, bias } = this.r;
    const lg = this.logits;
    const kAt = this.kAt;
    if (drop === 'zero') {
      // Running logits with the argmax taken in the same sweep (as argmaxAt: the first index of the largest).
      lg.set(bias);
      for (let a = 0; a < n; a++) {
        const o = (i * n + (order[at + a] as number)) * c;
        let bv = (lg[0] as number) + (total[o] as number);
        lg[0] = bv;
        let best = 0;
        for (let j = 1; j < c; j++) {
          const x = (lg[j] as number) + (total[o + j] as number);
          lg[j] = x;
          if (x > bv) {
            bv = x;
            best = j;
          }
        }
        const ki = kAt[a + 1] as number;
        if (ki >= 0) out[base + ki * stride] = best;
      }
      return;
    }
    this.needTokens();
    const num = this.num;
    const den = this.den;
    num.fill(0);
    den.fill(0);
    for (let a = 0; a < n; a++) {
      const e = order[at + a] as number;
      for (let t = 0; t < m; t++) {
        den[t] = (den[t] as number) + (mass[(i * m + t) * n + e] as number);
        const o = ((i * m + t) * n + e) * c;
        const no = t * c;
        for (let j = 0; j < c; j++) num[no + j] = (num[no + j] as number) + (contrib[o + j] as number);
      }
      const ki = kAt[a + 1] as number;
      if (ki < 0) continue;
      lg.set(bias);
      for (let t = 0; t < m; t++) {
        const dt = den[t] as number;
        if (dt > 0) for (let j = 0; j < c; j++) lg[j] = (lg[j] as number) + (num[t * c + j] as number) / dt;
      }
      out[base + ki * stride] = argmaxAt(lg, 0, c);
    }
  }
}
