// The Theorem 1 experiment runs end to end on a small budget: losses fall and the report is complete.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initBackend } from '../../../src/core/engine/backend';
import { runL2Norm } from '../../../src/core/train/l2normTask';

test('l2norm: one and several experts train on ‖X‖₂ at the same parameter count', async () => {
  await initBackend('wasm');
  const r = await runL2Norm({ experts: [1, 4], epochs: 8, batchSize: 64, lr: 3e-3, seed: 0, trainExamples: 512, testExamples: 256, totalHidden: 32 });
  assert.equal(r.runs.length, 2);
  assert.equal(r.runs[1]!.parameters - r.runs[0]!.parameters, 16 * 3); // same expert parameters; Φ has a column per expert
  assert.ok(r.baselineMse > 0);
  for (const run of r.runs) {
    assert.ok(Number.isFinite(run.testMse) && Number.isFinite(run.trainMse));
    assert.ok(run.lossCurve[run.lossCurve.length - 1]! < run.lossCurve[0]! / 2, `n=${run.numExperts}: loss did not fall (${run.lossCurve.join(', ')})`);
  }
});
