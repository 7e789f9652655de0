/**
 * The PyTorch engine through the extension's analysis worker (dist/worker.js in a real worker thread), as Analyze
 * Experts runs it: the result says the torch engine ran, the runner's output reaches the log, and Cancel stops the
 * job within a second with no runner left behind.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import type { AnalyzeJob } from '../../../../src/core/protocol/workerProtocol';
import { runWorkerJob } from '../../../../src/extension/workerClient';
import { ensureBuilt } from '../../cli/cliHarness';
import { DEMO_DATA, PATCHNET, PYTHON, SKIP_TORCH, noRunnersLeft, requireTorch } from './torchHelpers';

const WORKER = resolve(__dirname, '..', '..', '..', '..', 'dist', 'worker.js');

function job(limit: number | null): Omit<AnalyzeJob, 'id'> {
  return {
    type: 'analyze', checkpoint: PATCHNET, dataset: DEMO_DATA,
    settings: { drops: ['zero', 'renorm'], selectors: ['heuristic', 'random', 'oracle'], trials: 2, seed: 0, limit, target: 0.99, samples: 4 },
    execution: { batchSize: 64, backend: 'auto', engine: 'torch', python: PYTHON, device: 'cpu' },
  };
}

describe('the PyTorch engine in the analysis worker', { skip: SKIP_TORCH }, () => {
  before(() => {
    requireTorch();
    ensureBuilt();
  });

  it('analyses through the model\'s own code; the oracle is left out with a log line; Python output reaches the log', { timeout: 180_000 }, async () => {
    const logs: string[] = [];
    const result = await runWorkerJob(WORKER, job(64), { onLog: (m) => logs.push(m.message) });
    assert.equal(result.tool.engine?.kind, 'torch');
    assert.equal(result.numExamples, 64);
    assert.deepEqual(result.options.selectors, ['heuristic', 'random']);
    assert.ok(logs.some((l) => /oracle selector needs/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /model\.pt: torch 1\.\d+.* on cpu/.test(l)), logs.join('\n'));
    assert.ok(logs.some((l) => /built patchnet\.PatchNet/.test(l)), logs.join('\n'));
    assert.deepEqual(await noRunnersLeft(), []);
  });

  it('Cancel stops it within a second and leaves no runner', { timeout: 120_000 }, async () => {
    const ac = new AbortController();
    let abortedAt = 0;
    await assert.rejects(runWorkerJob(WORKER, job(null), {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.done > 0 && !ac.signal.aborted) {
          abortedAt = performance.now();
          ac.abort();
        }
      },
    }), (e: { code?: string }) => e.code === 'E_CANCELLED');
    assert.ok(abortedAt > 0, 'the analysis made progress before the cancel');
    assert.ok(performance.now() - abortedAt < 1000, `cancel took ${performance.now() - abortedAt} ms`);
    assert.deepEqual(await noRunnersLeft(3000), [], 'runner left behind');
  });
});
