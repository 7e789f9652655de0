import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classDeltas, summaryRows, trainingSeries } from '../../../src/core/report/comparison';
import type { RunInput } from '../../../src/core/report/comparison';
import { classDeltasCsv, overlayCsv, summaryCsv, trainingCsv } from '../../../src/core/report/comparisonCsv';
import { csvCell, matrixCsv, toCsv } from '../../../src/core/report/csv';
import { syntheticResult } from './syntheticResult';

/** A small RFC 4180 reader, so the tests check what a spreadsheet would read back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; } else cell += c;
  }
  return rows;
}

test('cells with commas, quotes and line breaks are quoted; formulas stay text; empty values are empty', () => {
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('=cmd()'), "'=cmd()");
  assert.equal(csvCell('-0.5'), '-0.5');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(Number.NaN), '');
  assert.equal(csvCell(0.1 + 0.2), String(0.1 + 0.2), 'numbers in full precision');
  const text = toCsv(['name', 'value'], [['line\nbreak', 1], ['x', null]]);
  assert.deepEqual(parseCsv(text), [['name', 'value'], ['line\nbreak', '1'], ['x', '']]);
  assert.deepEqual(parseCsv(matrixCsv('class', ['T-shirt/top', 'Bag'], ['0', '1'], [[0.5, 0.5], [1, 0]])), [['class', '0', '1'], ['T-shirt/top', '0.5', '0.5'], ['Bag', '1', '0']]);
});

const a = syntheticResult({ n: 4, examples: 100, full: 0.8, heuristic: (k) => 0.2 * k, random: (k) => 0.1 * k });
const b = syntheticResult({ n: 8, examples: 100, full: 0.9, heuristic: (k) => 0.11 * k, random: (k) => 0.1 * k, name: 'other, "quoted".pt' });
const runs: RunInput[] = [{ label: 'a', result: a, epoch: 1 }, { label: 'b', result: b, epoch: 2 }];

test('the summary CSV has a column per run and raw numbers that read back equal', () => {
  const rows = summaryRows(runs, 'zero');
  const csv = parseCsv(summaryCsv(['a', 'b'], rows));
  assert.deepEqual(csv[0], ['figure', 'a', 'b']);
  assert.equal(csv.length, rows.length + 1);
  const full = csv.find((r) => r[0] === 'Full accuracy');
  assert.deepEqual(full?.slice(1).map(Number), [a.fullAccuracy, b.fullAccuracy]);
  assert.equal(csv.find((r) => r[0] === 'Checkpoint')?.[2], `n8/${b.checkpoint.name}`, 'the run folder and the file, quotes and comma kept');
});

test('curves, deltas and training CSVs have one row per point, class and epoch', () => {
  const curves = parseCsv(overlayCsv(runs, 'zero'));
  assert.equal(curves.length, 1 + 2 * 4 + 2 * 8);
  const row = curves.find((r) => r[0] === 'b' && r[1] === 'heuristic' && r[4] === '2');
  assert.deepEqual(row?.slice(5, 7).map(Number), [0.25, b.curves[0].points[1].accuracy]);
  const deltas = parseCsv(classDeltasCsv(classDeltas(runs, 0.5), 0.5));
  assert.equal(deltas.length, 1 + 2 * 3);
  assert.equal(deltas[0][5], 'delta_vs_a');
  const bRow = deltas.find((r) => r[0] === 'b' && r[3] === 'c');
  assert.equal(Number(bRow?.[5]), b.perClass.heuristicAccuracy['4'][2] - a.perClass.heuristicAccuracy['2'][2]);
  const training = parseCsv(trainingCsv(trainingSeries(runs, 'zero')));
  assert.deepEqual(training.map((r) => r[0]), ['epoch', '1', '2']);
  assert.equal(Number(training[2][3]), b.curves[0].points[1].accuracy);
});
