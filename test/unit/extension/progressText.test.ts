import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressTracker } from '../../../src/extension/progressText';

test('progress reports increments that add up to the percent done, with examples/s', () => {
  const t = new ProgressTracker();
  const a = t.step({ done: 250, total: 1000, examplesPerSecond: 1534.4, phase: 'heuristic' });
  assert.equal(a.increment, 25);
  assert.equal(a.message, 'heuristic — 25% · 1,534 examples/s');
  const b = t.step({ done: 600, total: 1000, examplesPerSecond: 0, phase: 'random' });
  assert.equal(b.increment, 35);
  assert.equal(b.message, 'random — 60%');
  // Never backwards, never past 100.
  assert.equal(t.step({ done: 500, total: 1000, examplesPerSecond: 1, phase: 'x' }).increment, 0);
  assert.equal(t.step({ done: 5000, total: 1000, examplesPerSecond: 1, phase: 'x' }).increment, 40);
});
