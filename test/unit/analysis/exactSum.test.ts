import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addExact, exactValue, mergeExact, type Partials } from '../../../src/core/analysis/exactSum';
import { createPrng } from '../../../src/core/train/prng';

describe('exact sums', () => {
  it('are exact where plain addition is not', () => {
    const p: Partials = [];
    for (const x of [1e16, 1, -1e16, 1e-3, 1]) addExact(p, x);
    assert.equal(exactValue(p), 2.001);
    assert.notEqual(1e16 + 1 - 1e16 + 1e-3 + 1, 2.001);
  });

  it('do not depend on order or on how terms are split into parts', () => {
    const rng = createPrng(4);
    const terms = Array.from({ length: 2000 }, () => rng.normal() * 10 ** rng.int(12));
    const whole: Partials = [];
    terms.forEach((t) => addExact(whole, t));
    const shuffled: Partials = [];
    [...terms].reverse().forEach((t) => addExact(shuffled, t));
    const a: Partials = [];
    const b: Partials = [];
    terms.forEach((t, i) => addExact(i % 3 === 0 ? a : b, t));
    mergeExact(b, JSON.parse(JSON.stringify(a)));
    assert.equal(exactValue(shuffled), exactValue(whole));
    assert.equal(exactValue(b), exactValue(whole));
  });
});
