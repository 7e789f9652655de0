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

test('the global selector brings its calibration split and ranking into the settings (and so the cache key); others do not', async () => {
  const { keptAt, prunedFileName } = await import('../../../src/extension/prunePlan');
  const plain = from({ selectors: ['random'] });
  assert.equal(plain.settings.calibration, undefined);
  assert.equal(plain.settings.globalRanking, undefined);
  const g = from({ selectors: ['global'] });
  assert.equal(g.settings.calibration, DEFAULTS.calibration);
  assert.equal(g.settings.globalRanking, 'eliminate');
  const custom = from({ selectors: ['global'], calibration: 'train[1000:3000]', globalRanking: 'mass' });
  assert.equal(custom.settings.calibration, 'train[1000:3000]');
  assert.equal(custom.settings.globalRanking, 'mass');
  const bad = from({ selectors: ['global'], calibration: 'validation', globalRanking: 'magic' });
  assert.equal(bad.settings.calibration, DEFAULTS.calibration);
  assert.equal(bad.settings.globalRanking, 'eliminate');
  assert.ok(bad.warnings.some((w) => w.includes('softmoeInspector.calibration')));
  assert.ok(bad.warnings.some((w) => w.includes('softmoeInspector.globalRanking')));
  assert.deepEqual(keptAt([[5, 1, 3, 0], [2, 0, 1, 3]], 2), [[1, 5], [0, 2]]);
  assert.equal(prunedFileName('ep15_moe.safetensors', 4), 'ep15_moe-k4.safetensors');
  assert.equal(prunedFileName('best_checkpoint.pth', 8), 'best_checkpoint-k8.safetensors');
});
