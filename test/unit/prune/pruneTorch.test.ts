/**
 * Pruning a model the PyTorch engine runs through the user's own code (test/fixtures/torch/patchnet: a Soft MoE layer
 * in a small conv net, built by the factory its softmoe.json names): the pruned folder's softmoe.json builds the model
 * with k experts from the same code (kwargs.num_experts and pythonPath moved with it), and the pruned checkpoint,
 * run by the PyTorch engine, scores exactly the global curve's renorm point of its subset.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../src/core/analysis/finalize';
import { evaluate } from '../../../src/core/engine/evaluate';
import { openDatasetForModel } from '../../../src/core/engine/openDatasetForModel';
import { openEngine } from '../../../src/core/engine/openEngine';
import { pruneCheckpoint } from '../../../src/core/prune/pruneCheckpoint';
import { DEMO_DATA, PATCHNET, PYTHON, SKIP_TORCH, TORCH_FIXTURES, requireTorch } from '../engine/torch/torchHelpers';

const TORCH = { engine: 'torch' as const, torch: { python: PYTHON, device: 'cpu', threads: 1 } };

describe('pruning a model run by the PyTorch engine', { skip: SKIP_TORCH }, () => {
  it('writes a softmoe.json that builds k experts from the same code, and the file scores the global renorm point', { timeout: 600_000 }, async () => {
    requireTorch();
    const ks = [2, 5];
    const result = finalizeResult(await analyzeCheckpoint(PATCHNET, DEMO_DATA, {
      ...TORCH, selectors: ['global'], drops: ['renorm'], ks, limit: 160, calibration: 'test[160:400]', samples: 0, batchSize: 80,
    }));
    assert.equal(result.tool.engine?.kind, 'torch');
    const g = result.globalSelection!;
    const curve = result.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')!;
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-prune-torch-'));
    for (const k of ks) {
      const out = join(dir, `k${k}`, 'model.safetensors');
      const report = await pruneCheckpoint(PATCHNET, out, g.orders.renorm!.map((o) => o.slice(0, k)));
      assert.deepEqual(report.sidecars, [join(dirname(out), 'softmoe.json')]);
      const written = JSON.parse(readFileSync(report.sidecars[0]!, 'utf8')) as { model: { kwargs: { num_experts: number }; pythonPath: string[] } };
      assert.equal(written.model.kwargs.num_experts, k);
      assert.deepEqual(written.model.pythonPath.map((p) => resolve(dirname(out), p)), [join(TORCH_FIXTURES, 'models')]);
      const { engine } = await openEngine(out, TORCH);
      try {
        assert.equal(engine.info.moeLayers[0]!.numExperts, k);
        const data = await openDatasetForModel(DEMO_DATA, engine.info, { limit: 160 });
        const ev = await evaluate(engine, data);
        await data.close();
        assert.equal(ev.correct, curve.points.find((p) => p.k === k)!.correct, `k = ${k}`);
      } finally {
        await engine.dispose();
      }
    }
  });
});
