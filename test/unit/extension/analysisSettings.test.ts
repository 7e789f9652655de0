import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULTS, resolveAnalysisSettings } from '../../../src/extension/analysisSettings';

const from = (o: Record<string, unknown>) => resolveAnalysisSettings((k) => o[k]);

test('unset settings give the defaults and no warnings', () => {
  const r = from({});
  assert.deepEqual(r.settings.drops, ['zero', 'renorm']);
  assert.deepEqual(r.settings.selectors, [...DEFAULTS.selectors]);
  assert.equal(r.settings.trials, DEFAULTS.randomTrials);
  assert.equal(r.settings.limit, DEFAULTS.exampleLimit);
  assert.equal(r.execution.batchSize, DEFAULTS.batchSize);
  assert.equal(r.execution.backend, 'auto');
  assert.deepEqual(r.warnings, []);
});

test('one drop mode, a limit of 0 meaning all, and an explicit backend', () => {
  const r = from({ dropModes: 'renorm', exampleLimit: 0, backend: 'wasm', randomTrials: 3 });
  assert.deepEqual(r.settings.drops, ['renorm']);
  assert.equal(r.settings.limit, null);
  assert.equal(r.execution.backend, 'wasm');
  assert.equal(r.settings.trials, 3);
});

test('out-of-range and wrongly typed values are replaced, each with a warning naming the setting', () => {
  const r = from({ randomTrials: 0, batchSize: 'big', backend: 'gpu', dropModes: 'half', samplesKept: 10_000 });
  assert.equal(r.settings.trials, 1);
  assert.equal(r.execution.batchSize, DEFAULTS.batchSize);
  assert.equal(r.execution.backend, 'auto');
  assert.deepEqual(r.settings.drops, ['zero', 'renorm']);
  assert.equal(r.settings.samples, 256);
  for (const key of ['randomTrials', 'batchSize', 'backend', 'dropModes', 'samplesKept']) {
    assert.ok(r.warnings.some((w) => w.includes(`softmoeInspector.${key}`)), key);
  }
});

test('selectors: unknown names dropped with a warning, heuristic always first, order canonical', () => {
  const r = from({ selectors: ['oracle', 'magic', 'random'] });
  assert.deepEqual(r.settings.selectors, ['heuristic', 'random', 'oracle']);
  assert.ok(r.warnings.some((w) => w.includes('"magic"')));
  assert.deepEqual(from({ selectors: [] }).settings.selectors, ['heuristic']);
});
