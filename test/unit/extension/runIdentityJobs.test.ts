// The run identity the worker records in its result is the one the extension keys its cache by; and the batch size
// belongs to the identity exactly when the batch selector runs: it changes that selector's curve and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../src/core/analysis/finalize';
import { initBackend } from '../../../src/core/engine/backend';
import type { WorkerToHost } from '../../../src/core/protocol/workerProtocol';
import { resolveAnalysisSettings } from '../../../src/extension/analysisSettings';
import { jobIdentity } from '../../../src/extension/cacheKey';
import { JobRunner } from '../../../src/worker/jobRunner';

const ROOT = join(__dirname, '../../..');
const CKPT = join(ROOT, 'media/demo/models/n16/ep4_moe.safetensors');
const DATA = join(ROOT, 'media/demo/data');

test('the worker records the run identity whose key the extension caches the result under', async () => {
  const resolved = resolveAnalysisSettings((k) => ({ selectors: ['heuristic', 'random', 'batch'], exampleLimit: 48, randomTrials: 2, batchSize: 16, samplesKept: 2 } as Record<string, unknown>)[k]);
  const out: WorkerToHost[] = [];
  await new JobRunner((m) => out.push(m)).handle({ type: 'analyze', id: 1, checkpoint: CKPT, dataset: DATA, ...resolved });
  const m = out.find((x) => x.type === 'result');
  assert.ok(m && m.type === 'result', JSON.stringify(out.find((x) => x.type === 'error')));
  const { key, identity } = await jobIdentity(CKPT, DATA, resolved);
  assert.deepEqual(m.result.run?.identity, identity);
  assert.equal(m.result.run?.key, key);
});

test('the batch size changes the batch selector\'s curve and no other', async () => {
  await initBackend();
  const run = async (batchSize: number) => finalizeResult(await analyzeCheckpoint(CKPT, DATA, {
    selectors: ['heuristic', 'random', 'batch'], trials: 2, limit: 256, samples: 4, batchSize,
  }));
  const [small, large] = [await run(4), await run(256)];
  const curve = (r: typeof small, sel: string) => r.curves.find((c) => c.selector === sel)?.points.map((p) => p.correct);
  assert.notDeepEqual(curve(small, 'batch'), curve(large, 'batch'), 'Algorithm 2 picks one subset per batch');
  assert.deepEqual(curve(small, 'heuristic'), curve(large, 'heuristic'));
  assert.deepEqual(curve(small, 'random'), curve(large, 'random'));
  assert.equal(small.fullCorrect, large.fullCorrect);
  assert.deepEqual(small.samples, large.samples);
  assert.notEqual(small.run?.key, large.run?.key);
});
