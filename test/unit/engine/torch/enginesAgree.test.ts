/**
 * The two engines give the same analysis: `analyzeCheckpoint` with the built-in engine (tfjs) and with the PyTorch
 * engine (the fixtures' own model classes, named by their softmoe.json) on the paper's MNIST model and the two Soft
 * MoE ViTs (several layers), both drop modes, heuristic / random / dispatch / output-norm selectors. Counts of
 * correct predictions must be identical at every point of every curve; float statistics agree to 1e-4.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../../src/core/analysis/finalize';
import type { AnalysisResult, SelectorName } from '../../../../src/core/analysis/schema';
import { DEMO_DATA, FIXTURES, PYTHON, SKIP_TORCH, requireTorch } from './torchHelpers';

const CASES: Array<{ name: string; checkpoint: string; limit: number; selectors: SelectorName[]; trials: number }> = [
  { name: 'paper MNIST model, n = 16', checkpoint: join(FIXTURES, 'engine', 'mnist_n16', 'model.safetensors'), limit: 256, selectors: ['heuristic', 'random', 'dispatch', 'output-norm'], trials: 3 },
  { name: 'Soft MoE ViT, grey, MoE in blocks 1 and 3', checkpoint: join(FIXTURES, 'vit', 'vit_gray', 'model.pt'), limit: 96, selectors: ['heuristic', 'random', 'output-norm'], trials: 2 },
  { name: 'Soft MoE ViT, RGB 24×24 (the demo images resized), blocks 2 and 3', checkpoint: join(FIXTURES, 'vit', 'vit_rgb', 'model.pt'), limit: 64, selectors: ['heuristic', 'random'], trials: 2 },
];

async function analyse(checkpoint: string, engine: 'tfjs' | 'torch', c: (typeof CASES)[0]): Promise<AnalysisResult> {
  return finalizeResult(await analyzeCheckpoint(checkpoint, DEMO_DATA, {
    engine, ...(engine === 'torch' ? { torch: { python: PYTHON, device: 'cpu', threads: 1 } } : {}),
    limit: c.limit, selectors: c.selectors, drops: ['zero', 'renorm'], trials: c.trials, seed: 5, samples: 4, batchSize: 64,
  }));
}

function close(a: number | null | undefined, b: number | null | undefined, what: string): void {
  if (a === null || a === undefined || b === null || b === undefined) {
    assert.equal(a ?? null, b ?? null, what);
    return;
  }
  assert.ok(Math.abs(a - b) <= 1e-4, `${what}: ${a} vs ${b}`);
}

describe('the built-in and the PyTorch engine give the same analysis', { skip: SKIP_TORCH }, () => {
  for (const c of CASES) {
    it(c.name, { timeout: 600_000 }, async () => {
      requireTorch();
      const tfjs = await analyse(c.checkpoint, 'tfjs', c);
      const torch = await analyse(c.checkpoint, 'torch', c);
      assert.equal(tfjs.tool.engine?.kind, 'tfjs');
      assert.equal(torch.tool.engine?.kind, 'torch');
      assert.match(torch.tool.engine?.label ?? '', /^torch .* on cpu \(/);
      assert.equal(torch.numExamples, c.limit);
      assert.equal(torch.fullCorrect, tfjs.fullCorrect, 'full model');
      assert.deepEqual(torch.layers, tfjs.layers);
      assert.deepEqual(torch.curves.map((k) => `${k.selector}/${k.drop}`), tfjs.curves.map((k) => `${k.selector}/${k.drop}`));
      let points = 0;
      tfjs.curves.forEach((curve, ci) => {
        const other = torch.curves[ci] as (typeof torch.curves)[0];
        curve.points.forEach((p, pi) => {
          const q = other.points[pi] as (typeof other.points)[0];
          assert.equal(q.k, p.k);
          assert.equal(q.correct, p.correct, `${curve.selector}/${curve.drop} k=${p.k}: ${q.correct} vs ${p.correct} correct`);
          close(q.std, p.std, `${curve.selector}/${curve.drop} k=${p.k} std`);
          points++;
        });
      });
      assert.ok(points >= 2 * c.selectors.length * 7, `${points} points compared`);
      assert.deepEqual(torch.recommended, tfjs.recommended);
      tfjs.routing.forEach((r, l) => {
        const s = torch.routing[l] as (typeof torch.routing)[0];
        close(s.combineEntropy, r.combineEntropy, `layer ${l} combine entropy`);
        close(s.top10Share, r.top10Share, `layer ${l} top-10% share`);
        r.load.forEach((v, e) => close(s.load[e], v, `layer ${l} load of expert ${e}`));
        r.dispatchLoad.forEach((v, e) => close(s.dispatchLoad[e], v, `layer ${l} dispatch load of expert ${e}`));
      });
      tfjs.perClass.fullAccuracy.forEach((v, k) => close(torch.perClass.fullAccuracy[k], v, `class ${k}`));
    });
  }
});
