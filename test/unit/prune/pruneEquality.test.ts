/**
 * The promise of `softmoe prune`: the pruned checkpoint's accuracy IS the global curve's renorm point for its subset
 * (removing an expert's router slots is exactly renormalised dropping). Real model, real data, the whole pipeline:
 * analyzeCheckpoint with the global selector → pruneCheckpoint → loadModel + evaluate of the written file.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../src/core/analysis/finalize';
import { evaluate } from '../../../src/core/engine/evaluate';
import { openEngine } from '../../../src/core/engine/openEngine';
import { openDatasetForModel } from '../../../src/core/engine/openDatasetForModel';
import { pruneCheckpoint } from '../../../src/core/prune/pruneCheckpoint';
import { useCpu } from '../analysis/setup';

before(useCpu);

const ROOT = join(__dirname, '..', '..', '..');
const CKPT = join(ROOT, 'media', 'demo', 'models', 'n16', 'ep4_moe.safetensors');
const DATA = join(ROOT, 'media', 'demo', 'data');

describe('a pruned checkpoint and the global curve', () => {
  it('has exactly the accuracy of the global renorm point of its subset, at every k', async () => {
    const ks = [1, 3, 6, 10, 15];
    const result = finalizeResult(await analyzeCheckpoint(CKPT, DATA, {
      selectors: ['global'], drops: ['renorm'], ks, limit: 300, calibration: 'test[300:1100]', samples: 0,
    }));
    const g = result.globalSelection!;
    assert.deepEqual([g.calibration.start, g.calibration.end, g.calibration.split], [300, 1100, 'test']);
    const curve = result.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')!;
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-prune-eq-'));
    for (const k of ks) {
      const keep = g.orders.renorm!.map((o) => o.slice(0, k));
      const out = join(dir, `k${k}`, 'pruned.safetensors');
      await pruneCheckpoint(CKPT, out, keep);
      const { engine } = await openEngine(out);
      try {
        assert.equal(engine.info.moeLayers[0]!.numExperts, k);
        const data = await openDatasetForModel(DATA, engine.info, { limit: 300 });
        const ev = await evaluate(engine, data);
        await data.close();
        assert.equal(ev.correct, curve.points.find((p) => p.k === k)!.correct, `k = ${k}`);
      } finally {
        await engine.dispose();
      }
    }
  });

  it('refuses calibration examples that overlap the evaluation examples', async () => {
    await assert.rejects(analyzeCheckpoint(CKPT, DATA, { selectors: ['global'], limit: 300, calibration: 'test[200:600]' }), /overlap the evaluation examples/);
    await assert.rejects(analyzeCheckpoint(CKPT, DATA, { selectors: ['global'], limit: 300, calibration: 'test[:100]' }), /overlap the evaluation examples/);
  });
});
