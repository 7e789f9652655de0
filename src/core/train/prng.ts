/**
 * A small seeded pseudo-random generator (mulberry32 over a splitmix-mixed seed). Training uses it for weight
 * initialisation, per-epoch shuffles and synthetic data, so a run is reproducible from its seed alone: the same
 * seed gives the same numbers on every machine and backend (the arithmetic is 32-bit integer math in JS).
 */
export interface Prng {
  /** Uniform float in [0, 1) (32 random bits). */
  next(): number;
  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Integer in [0, n). */
  int(n: number): number;
}

/** Mix integers into one 32-bit seed (so streams for different purposes do not overlap). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    // Carry the high part of values above 2^32 too (epoch × seed products stay below 2^53).
    h = (h + Math.floor(p / 4294967296)) | 0;
  }
  return h >>> 0;
}

/** The generator's first state for `seed` (advance it by PRNG_STEP before each draw). */
export function prngState(seed: number): number {
  return mixSeed(seed, 0x2545f491);
}

/** What each draw adds to the state (mulberry32's Weyl sequence). */
export const PRNG_STEP = 0x6d2b79f5;

/**
 * The uniform float in [0, 1) of an advanced state: `state = (state + PRNG_STEP) | 0; u = mulberry32(state)`.
 * A plain function, so hot loops (randomOrders) draw inline without a generator object.
 */
export function mulberry32(state: number): number {
  let t = Math.imul(state ^ (state >>> 15), state | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

export function createPrng(seed: number): Prng {
  let state = prngState(seed);
  const next = (): number => {
    state = (state + PRNG_STEP) | 0;
    return mulberry32(state);
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    normal: () => {
      const u = 1 - next(); // (0, 1]
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    int: (n) => Math.floor(next() * n),
  };
}

/** A seeded Fisher–Yates permutation of 0..n-1 (the epoch's example order). */
export function permutation(n: number, seed: number): Int32Array {
  const rng = createPrng(seed);
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
