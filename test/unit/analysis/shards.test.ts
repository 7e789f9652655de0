import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { analyze, analyzePart } from '../../../src/core/analysis/analyze';
import { mergePartials } from '../../../src/core/analysis/merge';
import { shardRange } from '../../../src/core/analysis/options';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { fake, labelledData, useCpu } from './setup';
import { withoutReadout } from './fakeModel';
import { engineOf } from './fakeModel';

before(useCpu);

function comparable(r: AnalysisResult): unknown {
  const g = r.globalSelection;
  return { ...r, createdAt: '', timing: null, ...(g ? { globalSelection: { ...g, calibration: { ...g.calibration, seconds: 0 } } } : {}) };
}

describe('shards', () => {
  it('slices whole batches, covering every example once', () => {
    for (const [N, B, count] of [[100, 16, 3], [10, 4, 5], [7, 16, 3]] as const) {
      let next = 0;
      for (let i = 0; i < count; i++) {
        const r = shardRange(N, B, { index: i, count });
        assert.equal(r.start, next);
        assert.ok(r.start % B === 0 || r.start === N);
        next = r.end;
      }
      assert.equal(next, N);
    }
  });

  for (const general of [false, true]) {
    it(`merge of 3 shards equals one run (${general ? 'general' : 'fast'} path)`, async () => {
      const base = fake({ seed: 21 });
      const model = general ? withoutReadout(base) : base;
      const { dataset } = labelledData(base, 100, 4);
      const options = {
        selectors: general
          ? ['heuristic', 'random', 'batch', 'dispatch', 'output-norm', 'token-choice', 'expert-choice', 'global'] as const
          : ['heuristic', 'random', 'oracle', 'batch', 'dispatch', 'output-norm', 'token-choice', 'expert-choice', 'global'] as const,
        drops: ['zero', 'renorm'] as const, trials: 3, seed: 9, batchSize: 16, samples: 10,
        calibration: { dataset: labelledData(base, 40, 7).dataset, start: 0, end: 40 },
      };
      const one = await analyze(engineOf(model), dataset, { ...options, selectors: [...options.selectors], drops: [...options.drops] });
      const parts = [];
      for (const index of [2, 0, 1]) {
        const part = await analyzePart(engineOf(model), dataset, { ...options, selectors: [...options.selectors], drops: [...options.drops], shard: { index, count: 3 } });
        parts.push(JSON.parse(JSON.stringify(part)));
      }
      const merged = mergePartials(parts);
      assert.deepEqual(comparable(merged), comparable(one));
      assert.equal(merged.samples.length, 10);
      assert.equal(merged.numExamples, 100);
      assert.ok(merged.globalSelection && merged.curves.some((c) => c.selector === 'global'));
      assert.ok(merged.curves.find((c) => c.selector === 'oracle')?.points.every((p) => p.chance !== undefined) ?? general);
    });
  }

  it('refuses incomplete, duplicated or foreign parts with a one-line message', async () => {
    const model = fake({ seed: 21 });
    const { dataset } = labelledData(model, 40, 4);
    const part = (index: number, seed = 0) => analyzePart(engineOf(model), dataset, { batchSize: 8, trials: 2, seed, shard: { index, count: 2 } }).then((p) => JSON.parse(JSON.stringify(p)));
    const [a, b, c] = await Promise.all([part(0), part(1), part(1, 5)]);
    assert.throws(() => mergePartials([a]), /Shards 1\/2 are missing/);
    assert.throws(() => mergePartials([a, a]), /given twice/);
    assert.throws(() => mergePartials([a, c]), /different checkpoint, dataset or options/);
    assert.throws(() => mergePartials([a, { hello: 1 }]), /not a partial analysis/);
    assert.doesNotThrow(() => mergePartials([b, a]));
  });
});
