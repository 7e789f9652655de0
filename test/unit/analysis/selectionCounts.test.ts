/**
 * The per-class selection counts (classExpertSelected) from a Selection's prefixes equal plain counting of every
 * kept expert: one row for every k (one MoE layer), a row per pass (several layers), ks in any order and with gaps.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectionCounter } from '../../../src/core/analysis/accumulate';
import type { Selection } from '../../../src/core/analysis/outcome';
import { randomOrders } from '../../../src/core/analysis/subsets';

function bruteForce(sel: Selection, ks: number[], labels: Int32Array, n: number, c: number): number[] {
  const b = labels.length;
  const out = new Array<number>(ks.length * c * n).fill(0);
  ks.forEach((k, ki) => {
    const r = sel.rows[ki] as number;
    for (let i = 0; i < b; i++) {
      for (let a = 0; a < k; a++) out[(ki * c + (labels[i] as number)) * n + (sel.orders[(r * b + i) * n + a] as number)] += 1;
    }
  });
  return out;
}

describe('selection counts', () => {
  for (const [name, ks, rows] of [
    ['one row, every k', [1, 2, 3, 4, 5, 6, 7], [0, 0, 0, 0, 0, 0, 0]],
    ['one row, some ks', [2, 5, 7], [0, 0, 0]],
    ['a row per pass, ks not in order', [5, 1, 7, 3], [2, 0, 1, 1]],
  ] as const) {
    it(`equal plain counting: ${name}`, () => {
      const n = 7;
      const c = 3;
      const b = 11;
      const R = Math.max(...rows) + 1;
      const orders = new Int32Array(R * b * n);
      for (let r = 0; r < R; r++) for (let i = 0; i < b; i++) orders.set(randomOrders(r, i, 1, 1, n), (r * b + i) * n);
      const labels = Int32Array.from({ length: b }, (_, i) => (i * 5) % c);
      const sel: Selection = { orders, rows: Int32Array.from(rows) };
      const counter = selectionCounter(sel, [...ks], b, n, c);
      for (let i = 0; i < b; i++) counter.add(i, labels[i] as number);
      const got = new Array<number>(ks.length * c * n).fill(1);
      counter.addTo(got);
      assert.deepEqual(got, bruteForce(sel, [...ks], labels, n, c).map((v) => v + 1));
    });
  }
});
