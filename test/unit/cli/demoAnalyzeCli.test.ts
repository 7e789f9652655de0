/**
 * The README's first command and the analysis command, through the built CLI: `demo` writes the suite report, the
 * per-model reports and result JSONs that follow the schema; `analyze` writes JSON and CSV; bad flags are one-line
 * usage errors; the demo finds every embedded model.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSupportedSchema, type AnalysisResult } from '../../../src/core/analysis/schema';
import { findRunCheckpoints } from '../../../src/core/analysis/findRunCheckpoints';
import { ROOT, assertOneLineError, ensureBuilt, runCliAsync } from './cliHarness';

let dir: string;
before(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'softmoe-demo-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('demo: one report of the suite, one per model, and a result JSON per model', async () => {
  const out = join(dir, 'demo');
  const r = await runCliAsync('demo', '--limit', '120', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const models = readdirSync(join(ROOT, 'media', 'demo', 'models')).filter((n) => /^n\d+$/.test(n));
  assert.ok(models.length >= 2);
  assert.match(r.stdout, /Report: .*index\.html/);
  assert.ok(existsSync(join(out, 'index.html')));
  for (const m of models) {
    assert.match(r.stdout, new RegExp(`\\b${m}\\b`));
    assert.ok(existsSync(join(out, `${m}.html`)), `${m}.html`);
    const result = JSON.parse(readFileSync(join(out, `${m}.softmoe.json`), 'utf8')) as AnalysisResult;
    assert.ok(isSupportedSchema(result));
    assert.equal(result.numExamples, 120);
    assert.equal(result.layers[0]?.numExperts, Number(m.slice(1)));
  }
  const html = readFileSync(join(out, 'index.html'), 'utf8');
  assert.match(html, /id="softmoe-result"/);
  assert.match(html, /"kind":"comparison"/);
});

test('analyze: JSON and CSV outputs, every k, and one-line usage errors', async () => {
  const ckpt = join(ROOT, 'media', 'demo', 'models', 'n4', 'ep4_moe.safetensors');
  const data = join(ROOT, 'media', 'demo', 'data');
  const json = join(dir, 'n4.json');
  const csv = join(dir, 'n4.csv');
  const r = await runCliAsync('analyze', ckpt, '--data', data, '--limit', '100', '--drop', 'both', '--json', json, '--csv', csv);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /full accuracy/);
  const result = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
  const heuristic = result.curves.find((c) => c.selector === 'heuristic' && c.drop === 'renorm');
  assert.deepEqual(heuristic?.points.map((p) => p.k), [1, 2, 3, 4]);
  assert.ok(readFileSync(csv, 'utf8').split('\n').length > 8);
  for (const args of [['--batch', '0'], ['--split', 'val'], ['--backend', 'gpu'], ['--k', '1,x']]) {
    const bad = await runCliAsync('analyze', ckpt, '--data', data, ...args);
    assert.equal(bad.status, 2, `${args.join(' ')}: ${bad.stderr}`);
    assertOneLineError(bad);
  }
  const missing = await runCliAsync('analyze', ckpt, '--data', join(dir, 'no-such-dataset'));
  assert.notEqual(missing.status, 0);
  assert.match(assertOneLineError(missing), /no-such-dataset/);
});

test('findRunCheckpoints orders epochs numerically and prefers safetensors', async () => {
  const epochs = await findRunCheckpoints(join(ROOT, 'test', 'fixtures', 'io'));
  for (let i = 1; i < epochs.length; i++) assert.ok((epochs[i]?.epoch ?? 0) > (epochs[i - 1]?.epoch ?? 0));
  const demo = await findRunCheckpoints(join(ROOT, 'media', 'demo', 'models', 'n16'));
  assert.deepEqual(demo.map((e) => e.epoch), [4]);
  assert.ok(demo[0]?.path.endsWith('.safetensors'));
});
