import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  classDeltas, differencesOnly, kAt, kAtFraction, overlaySeries, sharedDrops, sharedFractions, summaryRows, trainingSeries,
} from '../../../src/core/report/comparison';
import type { RunInput } from '../../../src/core/report/comparison';
import { runLabels, runName, runStem } from '../../../src/core/report/runLabels';
import { syntheticResult } from './syntheticResult';

const n4 = syntheticResult({ n: 4, examples: 1000, full: 0.84, heuristic: (k) => 0.2 * k, random: (k) => 0.15 * k, drops: ['zero', 'renorm'] });
const n16 = syntheticResult({ n: 16, examples: 2000, full: 0.9, heuristic: (k) => Math.min(0.9, 0.3 + 0.05 * k), random: (k) => 0.05 * k, entropy: 2, dead: [3] });
const runs: RunInput[] = [{ label: 'n4', result: n4 }, { label: 'n16', result: n16 }];

test('k for a fraction exists only when it is a whole number of experts', () => {
  assert.equal(kAt(4, 1, 8), null);
  assert.equal(kAt(16, 1, 8), 2);
  assert.equal(kAt(4, 1, 4), 1);
  assert.equal(kAtFraction(16, 0.75), 12);
  assert.equal(kAtFraction(4, 1 / 3), null);
  assert.equal(kAtFraction(3, 1 / 3), 1, 'thirds match although 1/3 is not exact in binary');
});

test('runs with different n line up on the fractions they all have, compared as exact rationals', () => {
  const f = sharedFractions(runs, 'zero');
  assert.deepEqual(f.map((x) => `${x.num}/${x.den}`), ['1/4', '1/2', '3/4', '1/1']);
  const n3 = syntheticResult({ n: 3, examples: 10, full: 0.5, heuristic: () => 0.5, random: () => 0.4 });
  const n6 = syntheticResult({ n: 6, examples: 10, full: 0.5, heuristic: () => 0.5, random: () => 0.4, ks: [2, 4, 5, 6] });
  assert.deepEqual(sharedFractions([{ label: 'a', result: n3 }, { label: 'b', result: n6 }], 'zero').map((x) => `${x.num}/${x.den}`), ['1/3', '2/3', '1/1']);
  assert.deepEqual(sharedFractions(runs, 'renorm'), [], 'n16 has no renorm curves');
  assert.deepEqual(sharedDrops(runs), ['zero']);
});

test('the summary has one value per run; 1/8 of 4 experts is empty; differences-only keeps the rows that differ', () => {
  const rows = summaryRows(runs, 'zero');
  const byId = new Map(rows.map((r) => [r.id, r]));
  assert.deepEqual(byId.get('experts')?.values, [4, 16]);
  assert.deepEqual(byId.get('examples')?.values, [1000, 2000]);
  assert.deepEqual(byId.get('heuristic@1/4')?.values, [n4.curves[0].points[0].accuracy, n16.curves[0].points[3].accuracy]);
  assert.deepEqual(byId.get('random@1/8')?.values, [null, n16.curves[1].points[1].accuracy]);
  assert.deepEqual(byId.get('deadExperts')?.values, [0, 1]);
  assert.equal(byId.get('dataset')?.differs, false);
  assert.deepEqual(byId.get('checkpoint')?.values, ['n4/ep4.safetensors', 'n16/ep4.safetensors'], 'both files are called ep4.safetensors: the run folder tells them apart');
  const diff = differencesOnly(rows).map((r) => r.id);
  assert.ok(diff.includes('experts') && diff.includes('fullAccuracy') && diff.includes('checkpoint'));
  assert.ok(!diff.includes('dataset'));
  const same = differencesOnly(summaryRows([{ label: 'a', result: n4 }, { label: 'b', result: structuredClone(n4) }], 'zero'));
  assert.deepEqual(same, [], 'a run compared with itself differs nowhere');
});

test('per-class deltas at a fraction use each run\'s own k and subtract the first run', () => {
  const d = classDeltas(runs, 0.5);
  assert.deepEqual(d.runs.map((r) => r.k), [2, 8]);
  assert.deepEqual(d.runs[0].delta, [0, 0, 0]);
  const expected = n16.perClass.heuristicAccuracy['8'].map((v, i) => v - n4.perClass.heuristicAccuracy['2'][i]);
  assert.deepEqual(d.runs[1].delta, expected);
  assert.equal(d.baseline, 'n4');
  const eighth = classDeltas(runs, 1 / 8);
  assert.equal(eighth.runs[0].accuracy, null, 'no k = 1/2 for four experts');
  assert.equal(eighth.runs[1].delta, null, 'no baseline, no delta');
  const other = syntheticResult({ n: 4, examples: 10, full: 0.5, heuristic: () => 0.5, random: () => 0.4, classes: ['x', 'y'] });
  assert.equal(classDeltas([runs[0], { label: 'x', result: other }], 0.5).runs[1].delta, null, 'other classes are not compared');
});

test('the overlay draws heuristic and random of every run against the fraction kept', () => {
  const s = overlaySeries(runs, 'zero');
  assert.deepEqual(s.map((x) => `${x.label}:${x.selector}:${x.points.length}`), ['n4:heuristic:4', 'n4:random:4', 'n16:heuristic:16', 'n16:random:16']);
  assert.deepEqual(s[0].points[0], [0.25, n4.curves[0].points[0].accuracy]);
  assert.equal(s[2].points[15][0], 1);
  assert.equal(s[1].std?.length, 4);
});

test('training series are ordered by epoch with the figures at 1/4 of the experts', () => {
  const ep = (e: number) => syntheticResult({ n: 8, examples: 100, full: 0.5 + e / 10, heuristic: (k) => 0.1 * k + e / 100, random: (k) => 0.05 * k, entropy: 2 - e / 10 });
  const pts = trainingSeries([{ label: 'ep3', result: ep(3), epoch: 3 }, { label: 'ep1', result: ep(1), epoch: 1 }], 'zero');
  assert.deepEqual(pts.map((p) => p.epoch), [1, 3]);
  assert.equal(pts[0].heuristicQuarter, ep(1).curves[0].points[1].accuracy);
  assert.equal(pts[1].randomQuarter, ep(3).curves[1].points[1].accuracy);
  assert.equal(pts[1].combineEntropy, 2 - 3 / 10);
});

test('run labels are the file with its parent folder, with more folders only where needed to be unique', () => {
  assert.deepEqual(runLabels(['/r/n4/ep4_moe.safetensors', '/r/n16/ep4_moe.safetensors']), ['n4/ep4_moe.safetensors', 'n16/ep4_moe.safetensors']);
  assert.deepEqual(runLabels(['/a/x.pt', '/b/y.pt']), ['a/x.pt', 'b/y.pt'], 'always with the parent folder: runs are named like that everywhere');
  assert.deepEqual(runLabels(['/r/a/n4/m.pt', '/r/b/n4/m.pt']), ['a/n4/m.pt', 'b/n4/m.pt']);
  assert.deepEqual(runLabels(['C:\\runs\\a\\m.pt', 'C:\\runs\\b\\m.pt', '/z/q.pt']), ['a/m.pt', 'b/m.pt', 'z/q.pt']);
  assert.deepEqual(runLabels(['/a/x.pt', '/a/x.pt']), ['a/x.pt', 'a/x.pt (2)']);
});

test('a run on its own is named by its file and parent folder, and its exports by a file-safe stem', () => {
  assert.equal(runName('/w/media/demo/models/n16/ep4_moe.safetensors'), 'n16/ep4_moe.safetensors');
  assert.equal(runName('C:\\runs\\vit-b\\model.pt'), 'vit-b/model.pt');
  assert.equal(runName('model.pt'), 'model.pt');
  assert.equal(runStem('/w/n16/ep4_moe.safetensors'), 'n16-ep4_moe');
  assert.equal(runStem('/w/docs/n8.softmoe.json'), 'docs-n8');
  assert.equal(runStem('/w/my run (2)/last.ckpt'), 'my-run-2-last');
});
