import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LOAD_SHARE, ProgressTracker } from '../../../src/extension/progressText';

test('progress reports increments that add up to the percent done, with examples/s', () => {
  const t = new ProgressTracker();
  const share = (f: number): number => LOAD_SHARE + (100 - LOAD_SHARE) * f;
  const a = t.step({ done: 250, total: 1000, examplesPerSecond: 1534.4, phase: 'heuristic' });
  assert.equal(a.increment, share(0.25));
  assert.equal(a.message, 'heuristic — 25% · 1,534 examples/s');
  const b = t.step({ done: 600, total: 1000, examplesPerSecond: 0, phase: 'random' });
  assert.equal(b.increment, share(0.6) - share(0.25));
  assert.equal(b.message, 'random — 60%');
  // Never backwards, never past 100.
  assert.equal(t.step({ done: 500, total: 1000, examplesPerSecond: 1, phase: 'x' }).increment, 0);
  assert.equal(t.step({ done: 5000, total: 1000, examplesPerSecond: 1, phase: 'x' }).increment, 100 - share(0.6));
});

test('loading the model reports bytes (IEC units) and fills only the first part of the bar', () => {
  const t = new ProgressTracker();
  const GiB = 2 ** 30;
  const a = t.step({ done: 1.2 * GiB, total: 3.4 * GiB, unit: 'bytes', examplesPerSecond: 0, phase: 'loading model' });
  assert.equal(a.message, 'loading model — 1.20 GiB of 3.40 GiB');
  assert.ok(Math.abs(a.increment - LOAD_SHARE * (1.2 / 3.4)) < 1e-9);
  const b = t.step({ done: 3.4 * GiB, total: 3.4 * GiB, unit: 'bytes', examplesPerSecond: 0, phase: 'loading model' });
  assert.ok(Math.abs(a.increment + b.increment - LOAD_SHARE) < 1e-9);
  const c = t.step({ done: 0, total: 100, examplesPerSecond: 0, phase: 'analyzing' });
  assert.equal(c.increment, 0);
  assert.equal(c.message, 'analyzing — 0%');
});
