/** Small AnalysisResults built in code for the comparison tests (every figure derived from the arguments). */
import type { AnalysisResult, Curve, DropMode } from '../../../src/core/analysis/schema';

export interface SyntheticRun {
  n: number;
  examples: number;
  full: number;
  /** Heuristic and random accuracy at k. */
  heuristic: (k: number) => number;
  random: (k: number) => number;
  drops?: DropMode[];
  classes?: string[];
  /** Which k the curves hold (default 1…n). */
  ks?: number[];
  entropy?: number;
  dead?: number[];
  name?: string;
}

export function syntheticResult(o: SyntheticRun): AnalysisResult {
  const ks = o.ks ?? Array.from({ length: o.n }, (_, i) => i + 1);
  const classes = o.classes ?? ['a', 'b', 'c'];
  const curves: Curve[] = [];
  for (const drop of o.drops ?? ['zero']) {
    for (const selector of ['heuristic', 'random'] as const) {
      const f = selector === 'heuristic' ? o.heuristic : o.random;
      curves.push({
        selector, drop, ...(selector === 'random' ? { trials: 3 } : {}),
        points: ks.map((k) => ({ k, fraction: k / o.n, accuracy: f(k), relative: f(k) / o.full, correct: f(k) * o.examples, ...(selector === 'random' ? { std: 0.01 } : {}) })),
      });
    }
  }
  const heuristicAccuracy: Record<string, number[]> = {};
  for (const k of ks) heuristicAccuracy[String(k)] = classes.map((_, c) => Math.min(1, o.heuristic(k) + c / 100));
  const recK = ks.find((k) => o.heuristic(k) >= 0.99 * o.full) ?? null;
  return {
    schemaVersion: '1.0',
    tool: { name: 'softmoe-inspector', version: '0.0.0', backend: 'cpu' },
    createdAt: '2025-01-01T00:00:00.000Z',
    checkpoint: { path: `/runs/n${o.n}/${o.name ?? 'ep4.safetensors'}`, name: o.name ?? 'ep4.safetensors', format: 'safetensors', fileSize: 1, parameterCount: 1000 + o.n, architecture: 'mnist-softmoe' },
    dataset: { path: '/data', name: 'data (test)', split: 'test', numClasses: classes.length, classNames: classes },
    options: { drops: o.drops ?? ['zero'], selectors: ['heuristic', 'random'], trials: 3, seed: 0, ks, limit: null, shard: null, target: 0.99 },
    numExamples: o.examples,
    fullAccuracy: o.full,
    fullCorrect: Math.round(o.full * o.examples),
    layers: [{ name: '', layout: 'paper-mnist', numExperts: o.n, slotsPerExpert: 1, dim: 196, expertHidden: 784 / o.n }],
    curves,
    recommended: { selector: 'heuristic', drop: 'zero', target: 0.99, k: recK, fraction: recK === null ? null : recK / o.n, accuracy: recK === null ? null : o.heuristic(recK), expertFlopsSaved: recK === null ? null : 1 - recK / o.n },
    perClass: { classNames: classes, support: classes.map(() => 1), fullAccuracy: classes.map(() => o.full), heuristicAccuracy, specialisation: [] },
    routing: [{ layer: '', combineEntropy: o.entropy ?? 1, maxEntropy: Math.log(o.n), top10Share: 0.3, load: [], dispatchLoad: [], deadExperts: o.dead ?? [], deadThreshold: 0.01, outputCosine: [] }],
    samples: [],
    timing: { seconds: 1, examplesPerSecond: 1 },
  };
}
