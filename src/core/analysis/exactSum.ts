/**
 * Order-independent floating-point sums (Shewchuk's exact partials, the algorithm of Python's `math.fsum`).
 *
 * Shards are merged into exactly the result of one run: every float statistic that crosses batches is kept as the
 * exact sum of its terms (a short list of non-overlapping partials), and read out correctly rounded. The value then
 * does not depend on the order in which batches, or shards, were added.
 */

/** Partials of an exact sum: non-overlapping doubles, increasing in magnitude. JSON-safe. */
export type Partials = number[];

/** Add `x` to the exact sum held in `partials` (in place). */
export function addExact(partials: Partials, x: number): void {
  if (!Number.isFinite(x)) {
    // Non-finite terms cannot be split; keep the sum non-finite and stable.
    partials.length = 0;
    partials.push(Number.isNaN(x) ? NaN : x);
    return;
  }
  if (partials.length === 1 && !Number.isFinite(partials[0] as number)) return;
  let i = 0;
  let v = x;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j] as number;
    if (Math.abs(v) < Math.abs(y)) {
      const t = v;
      v = y;
      y = t;
    }
    const hi = v + y;
    const lo = y - (hi - v);
    if (lo !== 0) partials[i++] = lo;
    v = hi;
  }
  partials.length = i;
  partials.push(v);
}

/** Add every term of another exact sum (merging shards). */
export function mergeExact(into: Partials, from: Partials): void {
  for (const x of from) addExact(into, x);
}

/** The exact sum, correctly rounded to the nearest double (half-even), as Python's fsum. */
export function exactValue(partials: Partials): number {
  let n = partials.length;
  if (n === 0) return 0;
  n -= 1;
  let hi = partials[n] as number;
  if (!Number.isFinite(hi)) return hi;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    n -= 1;
    const y = partials[n] as number;
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  if (n > 0 && ((lo < 0 && (partials[n - 1] as number) < 0) || (lo > 0 && (partials[n - 1] as number) > 0))) {
    const y = lo * 2;
    const x = hi + y;
    const yr = x - hi;
    if (y === yr) hi = x;
  }
  return hi;
}

/** A vector of exact sums. */
export function exactVector(size: number): Partials[] {
  return Array.from({ length: size }, () => []);
}

/** Add a float64 vector of per-batch totals element-wise. */
export function addExactVector(into: Partials[], values: ArrayLike<number>): void {
  for (let i = 0; i < into.length; i++) {
    const v = values[i] as number;
    if (v !== 0) addExact(into[i] as Partials, v);
  }
}

export function mergeExactVector(into: Partials[], from: Partials[]): void {
  for (let i = 0; i < into.length; i++) mergeExact(into[i] as Partials, from[i] as Partials);
}

export function exactValues(v: Partials[]): number[] {
  return v.map(exactValue);
}
