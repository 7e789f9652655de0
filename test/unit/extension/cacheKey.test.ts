import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisCacheKey, isCacheKey, stableStringify } from '../../../src/extension/cacheKey';
import { resolveAnalysisSettings } from '../../../src/extension/analysisSettings';

const ckpt = { path: '/w/ep14_moe.pt', size: 1000, mtimeMs: 1700000000000.5 };
const data = { path: '/w/data', size: 4096, mtimeMs: 1600000000000 };
const settings = resolveAnalysisSettings(() => undefined).settings;

test('the same checkpoint, dataset and settings give the same key', () => {
  const a = analysisCacheKey(ckpt, data, settings);
  assert.ok(isCacheKey(a));
  assert.equal(analysisCacheKey({ ...ckpt }, { ...data }, structuredClone(settings)), a);
});

test('a changed checkpoint (size or mtime), dataset or result-changing setting changes the key', () => {
  const a = analysisCacheKey(ckpt, data, settings);
  const variants = [
    analysisCacheKey({ ...ckpt, size: 1001 }, data, settings),
    analysisCacheKey({ ...ckpt, mtimeMs: ckpt.mtimeMs + 1000 }, data, settings),
    analysisCacheKey({ ...ckpt, path: '/w/ep15_moe.pt' }, data, settings),
    analysisCacheKey(ckpt, { ...data, path: '/w/other' }, settings),
    analysisCacheKey(ckpt, data, { ...settings, trials: settings.trials + 1 }),
    analysisCacheKey(ckpt, data, { ...settings, drops: ['zero'] }),
    analysisCacheKey(ckpt, data, { ...settings, limit: 100 }),
  ];
  assert.equal(new Set([a, ...variants]).size, variants.length + 1);
});

test('key order in the settings object does not change the key', () => {
  const reordered = Object.fromEntries(Object.entries(settings).reverse()) as typeof settings;
  assert.equal(analysisCacheKey(ckpt, data, reordered), analysisCacheKey(ckpt, data, settings));
  assert.equal(stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }), '{"a":[2,{"c":4,"d":3}],"b":1}');
});

test('isCacheKey refuses anything that could name another file', () => {
  for (const bad of ['', '../etc/passwd', 'ABCDEF0123456789abcdef0123456789abcdef01', 'a'.repeat(39), `${'a'.repeat(40)}.json`]) {
    assert.equal(isCacheKey(bad), false, bad);
  }
});
