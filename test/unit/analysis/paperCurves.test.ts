/**
 * The curves of the paper's n = 8 and n = 16 MNIST models equal an independent PyTorch computation that does it
 * the paper's way (masked forward passes recomputing the experts; test/fixtures/analysis/gen_curves.py), for both
 * drop modes, the heuristic and the random subsets (softmoe's seeded subsets, re-implemented in Python).
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze } from '../../../src/core/analysis/analyze';
import type { DropMode } from '../../../src/core/analysis/schema';
import { loadModel } from '../../../src/core/engine/loadModel';
import { arrayDataset } from './arrayDataset';
import { useCpu } from './setup';
import { engineOf } from './fakeModel';

const DIR = join(__dirname, '..', '..', 'fixtures', 'analysis');

interface Expected {
  count: number;
  trials: number;
  seed: number;
  models: Record<string, { full_correct: number; ks: number[]; heuristic: Record<DropMode, number[]>; random: Record<DropMode, number[][]> }>;
}

before(useCpu);

describe('paper MNIST models against PyTorch', () => {
  const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Expected;
  const u8 = readFileSync(join(DIR, 'inputs.u8'));
  const x = Float32Array.from(u8, (v) => v / 255);
  const y = Int32Array.from(JSON.parse(readFileSync(join(DIR, 'labels.json'), 'utf8')) as number[]);
  const dataset = arrayDataset(x, y, [28, 28, 1], 10);
  const paths: Record<string, string> = {
    n8: join(DIR, 'mnist_n8', 'model.safetensors'),
    n16: join(DIR, '..', 'engine', 'mnist_n16', 'model.safetensors'),
  };
  for (const [name, path] of Object.entries(paths)) {
    it(`${name}: heuristic and random curves match, both drop modes`, async () => {
      const e = expected.models[name]!;
      const model = await loadModel(path);
      try {
        assert.ok(model.linearReadout, 'the paper model has a linear readout (fast path)');
        const r = await analyze(engineOf(model), dataset, { drops: ['zero', 'renorm'], trials: expected.trials, seed: expected.seed, batchSize: 128 });
        assert.equal(r.fullCorrect, e.full_correct);
        for (const drop of ['zero', 'renorm'] as DropMode[]) {
          const h = r.curves.find((c) => c.selector === 'heuristic' && c.drop === drop)!;
          assert.deepEqual(h.points.map((p) => p.correct), e.heuristic[drop], `heuristic ${drop}`);
          const rnd = r.curves.find((c) => c.selector === 'random' && c.drop === drop)!;
          const mean = e.ks.map((_, ki) => e.random[drop].reduce((a, t) => a + t[ki]!, 0) / expected.trials);
          assert.deepEqual(rnd.points.map((p) => p.correct), mean, `random ${drop}`);
        }
      } finally {
        model.dispose();
      }
    });
  }
});
