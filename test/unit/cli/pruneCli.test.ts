/**
 * `softmoe prune` through the built CLI: calibrate, write, evaluate the written file beside the global curve; reuse
 * a saved analysis' subsets; never replace a file without --force; one-line usage errors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { ROOT, assertOneLineError, ensureBuilt, runCliAsync } from './cliHarness';

const CKPT = join(ROOT, 'media', 'demo', 'models', 'n4', 'ep4_moe.safetensors');
const DATA = join(ROOT, 'media', 'demo', 'data');
let dir: string;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
const before0 = sha(CKPT);

before(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'softmoe-prune-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('prune --keep: calibrates on its own split, writes the file and its args.json, and the file scores the global curve\'s point', async () => {
  const out = join(dir, 'k2', 'n4-k2.safetensors');
  const r = await runCliAsync('prune', CKPT, '--keep', '2', '--data', DATA, '--calibration', 'test[400:1200]', '--limit', '400', '--out', out, '--json', join(dir, 'k2.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2 of 4 per layer/);
  assert.match(r.stdout, /chosen by +eliminate on .*\[400:1200\] \(800 examples, not the evaluation ones\)/);
  assert.match(r.stdout, /pruned file .* — equal, as it must be/);
  assert.ok(existsSync(out) && existsSync(join(dir, 'k2', 'args.json')));
  assert.equal(JSON.parse(readFileSync(join(dir, 'k2', 'args.json'), 'utf8')).num_experts, 2);
  const report = JSON.parse(readFileSync(join(dir, 'k2.json'), 'utf8'));
  assert.equal(report.pruned.correct, report.expected.correct);
  assert.equal(report.pruned.examples, 400);
  assert.equal(sha(CKPT), before0, 'the source is untouched');

  const again = await runCliAsync('prune', CKPT, '--keep', '2', '--data', DATA, '--calibration', 'test[400:1200]', '--limit', '400', '--out', out);
  assert.match(assertOneLineError(again), /already exist.*--force/);
  const forced = await runCliAsync('prune', CKPT, '--fraction', '0.75', '--data', DATA, '--calibration', 'test[400:1200]', '--limit', '400', '--out', out, '--force');
  assert.equal(forced.status, 0, forced.stderr);
  assert.match(forced.stdout, /3 of 4 per layer/);
});

test('prune --from: the subsets of a saved analysis', async () => {
  const json = join(dir, 'n4.softmoe.json');
  const a = await runCliAsync('analyze', CKPT, '--data', DATA, '--limit', '300', '--selectors', 'heuristic,global', '--drop', 'renorm', '--calibration', 'test[300:900]', '--samples', '0', '--json', json);
  assert.equal(a.status, 0, a.stderr);
  const saved = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
  const out = join(dir, 'from', 'p.safetensors');
  const r = await runCliAsync('prune', CKPT, '--keep', '3', '--from', json, '--data', DATA, '--limit', '300', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  const kept = saved.globalSelection!.orders.renorm![0]!.slice(0, 3).sort((x, y) => x - y);
  assert.match(r.stdout, new RegExp(`\\[${kept.join(',')}\\]`));
  const pt = saved.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')!.points.find((p) => p.k === 3)!;
  assert.match(r.stdout, new RegExp(`pruned file +${(100 * pt.accuracy).toFixed(2)}% \\(${pt.correct}/300\\)`));
  assert.match(r.stdout, /— equal, as it must be/);
});

test('prune: usage errors are one line', async () => {
  assert.match(assertOneLineError(await runCliAsync('prune', CKPT, '--out', join(dir, 'x.safetensors'))), /--keep K or --fraction F/);
  assert.match(assertOneLineError(await runCliAsync('prune', CKPT, '--keep', '2', '--out', join(dir, 'x.safetensors'))), /needs data to calibrate on/);
  assert.match(assertOneLineError(await runCliAsync('prune', CKPT, '--keep', '9', '--data', DATA, '--out', join(dir, 'x.safetensors'))), /from 1 to 4/);
  assert.match(assertOneLineError(await runCliAsync('prune', CKPT, '--keep', '2', '--data', DATA, '--limit', '100', '--calibration', 'test[:300]', '--out', join(dir, 'x.safetensors'))), /overlap the evaluation examples/);
  assert.match(assertOneLineError(await runCliAsync('prune', CKPT, '--keep', '2', '--data', DATA, '--calibration', 'test[400:500]', '--limit', '100', '--out', join(ROOT, 'media', 'demo', 'models', 'n4', 'p.safetensors'))), /another folder/);
  assert.match(assertOneLineError(await runCliAsync('prune', CKPT, '--keep', '2', '--ranking', 'magic', '--data', DATA, '--out', join(dir, 'x.safetensors'))), /--ranking must be one of/);
});

test('prune --engine torch: the user\'s own model is calibrated, pruned and evaluated by the PyTorch engine, the written file scoring the global curve\'s point', { skip: process.env.SOFTMOE_SKIP_TORCH === '1' ? 'SOFTMOE_SKIP_TORCH=1' : false }, async () => {
  const src = join(ROOT, 'test', 'fixtures', 'torch', 'patchnet', 'model.pt');
  const out = join(dir, 'torch', 'patchnet-k4.safetensors');
  const r = await runCliAsync('prune', src, '--keep', '4', '--data', DATA, '--limit', '64', '--calibration', 'test[64:200]',
    '--engine', 'torch', '--python', process.env.SOFTMOE_TEST_PYTHON ?? '/usr/bin/python3', '--device', 'cpu', '--out', out, '--json', join(dir, 'torch.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /4 of 8 per layer: moe1 \[[\d,]+\]; moe2 \[[\d,]+\]/);
  assert.match(r.stdout, /pruned file .* — equal, as it must be \(torch /);
  const report = JSON.parse(readFileSync(join(dir, 'torch.json'), 'utf8'));
  assert.equal(report.pruned.correct, report.expected.correct);
  assert.equal(JSON.parse(readFileSync(join(dir, 'torch', 'softmoe.json'), 'utf8')).model.kwargs.num_experts, 4);
});
