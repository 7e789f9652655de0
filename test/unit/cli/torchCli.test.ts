/**
 * `softmoe analyze` and `softmoe eval` with --engine torch through the built CLI, on the PatchNet fixture (a model
 * the built-in engine cannot run, with its softmoe.json factory): the result says which engine, Python and device
 * ran; the built-in engine says how the torch engine could run it; the engine flags are checked.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { DEMO_DATA, PATCHNET, PYTHON, SKIP_TORCH, requireTorch } from '../engine/torch/torchHelpers';
import { assertOneLineError, ensureBuilt, runCliAsync } from './cliHarness';

let dir: string;
before(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'softmoe-torch-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI with --engine torch', { skip: SKIP_TORCH }, () => {
  it('analyze: the model\'s own code computes the result, and every output says which engine ran', { timeout: 300_000 }, async () => {
    requireTorch();
    const json = join(dir, 'patchnet.json');
    const r = await runCliAsync('analyze', PATCHNET, '--data', DEMO_DATA, '--engine', 'torch', '--python', PYTHON.path, '--device', 'cpu',
      '--limit', '128', '--batch', '64', '--trials', '2', '--drop', 'both', '--json', json);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /full accuracy\s+\d+\.\d+% \(\d+\/128\)/);
    assert.match(r.stdout, /torch 1\.\d+.* on cpu \(.*python3, Python 3\.\d+\.\d+; patchnet:build_patchnet\)/);
    assert.match(r.stderr, /patchnet:build_patchnet built patchnet\.PatchNet \(77002 parameters\) on cpu/);
    const result = JSON.parse(readFileSync(json, 'utf8')) as AnalysisResult;
    assert.equal(result.tool.engine?.kind, 'torch');
    assert.equal(result.tool.backend, 'cpu');
    assert.equal(result.checkpoint.architecture, 'custom');
    assert.deepEqual(result.layers.map((l) => [l.name, l.layout]), [['moe1', 'lucidrains'], ['moe2', 'lucidrains']]);
    assert.deepEqual(result.curves.map((c) => `${c.selector}/${c.drop}`), ['heuristic/zero', 'random/zero', 'heuristic/renorm', 'random/renorm']);
  });

  it('eval: accuracy through the model\'s own code', { timeout: 120_000 }, async () => {
    requireTorch();
    const r = await runCliAsync('eval', PATCHNET, '--data', DEMO_DATA, '--engine', 'torch', '--python', PYTHON.path, '--limit', '64');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /accuracy\s+\d+\.\d+% \(\d+\/64\)/);
    assert.match(r.stdout, /torch 1\.\d+.* on cpu/);
  });
});

describe('the CLI without the torch engine', () => {
  it('the built-in engine says how the model\'s own code could run it', async () => {
    const line = assertOneLineError(await runCliAsync('analyze', PATCHNET, '--data', DEMO_DATA, '--limit', '8'));
    assert.match(line, /Its softmoe\.json names the model's code \(model\.factory 'patchnet:build_patchnet'\): add --engine torch to run it/);
  });

  it('engine flags are checked', async () => {
    assert.match(assertOneLineError(await runCliAsync('eval', PATCHNET, '--data', DEMO_DATA, '--engine', 'jax')), /--engine must be tfjs, torch, auto, got 'jax'/);
    assert.match(assertOneLineError(await runCliAsync('eval', PATCHNET, '--data', DEMO_DATA, '--device', 'cuda')), /--python and --device choose how the torch engine runs; add --engine torch/);
    assert.match(assertOneLineError(await runCliAsync('eval', PATCHNET, '--data', DEMO_DATA, '--engine', 'torch', '--device', 'gpu')), /--device must be auto, cpu, cuda, cuda:N or mps, got 'gpu'/);
    assert.match(assertOneLineError(await runCliAsync('eval', PATCHNET, '--data', DEMO_DATA, '--engine', 'torch', '--python', '/nonexistent/python3')), /Python interpreter '\/nonexistent\/python3' not found \(from --python\)/);
  });
});
