/**
 * The oracle's chance level, token and expert choice and the global selector outside the panel: in the curves CSV
 * and in the comparison summary (rows, values per run, empty where a run did not analyse them). On a real analysis
 * (test/fixtures/webview/analysis-science-n16.json, make_science_fixture.sh) beside a synthetic run without them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { curvesToCsv } from '../../../src/core/analysis/resultCsv';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { kAt, summaryRows } from '../../../src/core/report/comparison';
import { syntheticResult } from './syntheticResult';

const science = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'webview', 'analysis-science-n16.json'), 'utf8')) as AnalysisResult;
const plain = syntheticResult({ n: 16, examples: 2000, full: 0.9, heuristic: (k) => 0.05 * k, random: (k) => 0.04 * k });

test('the curves CSV carries the oracle\'s chance level and excess on its rows, and leaves them empty elsewhere', () => {
  const [header, ...rows] = curvesToCsv(science).trim().split('\n').map((l) => l.split(','));
  const col = (name: string) => header!.indexOf(name);
  for (const name of ['chance', 'chance_found', 'excess']) assert.ok(col(name) >= 0, name);
  let oracleRows = 0;
  for (const row of rows) {
    const [selector, drop, k] = [row[0], row[1], Number(row[2])];
    if (selector === 'oracle') {
      oracleRows++;
      const p = science.curves.find((c) => c.selector === 'oracle' && c.drop === drop)!.points.find((q) => q.k === k)!;
      assert.equal(Number(row[col('chance')]), p.chance);
      assert.equal(Number(row[col('chance_found')]), p.chanceFound);
      assert.equal(Number(row[col('excess')]), p.excess);
    } else {
      assert.deepEqual([row[col('chance')], row[col('chance_found')], row[col('excess')]], ['', '', ''], `${selector} ${drop} k=${k}`);
    }
  }
  assert.equal(oracleRows, 2 * 16, 'both drop modes, every k');
  for (const sel of ['token-choice', 'expert-choice', 'global']) assert.ok(rows.some((r) => r[0] === sel), sel);
});

test('the comparison summary lists token/expert choice, global and the oracle with its chance and excess, per run', () => {
  const rows = summaryRows([{ label: 'science', result: science }, { label: 'plain', result: plain }], 'zero');
  const byId = new Map(rows.map((r) => [r.id, r]));
  const k4 = kAt(16, 1, 4)!;
  const point = (sel: string) => science.curves.find((c) => c.selector === sel && c.drop === 'zero')!.points.find((p) => p.k === k4)!;
  for (const sel of ['token-choice', 'expert-choice', 'global', 'oracle']) {
    const row = byId.get(`${sel}@1/4`);
    assert.ok(row, sel);
    assert.deepEqual(row.values, [point(sel).accuracy, null], sel);
  }
  assert.deepEqual(byId.get('oracleChance@1/4')?.values, [point('oracle').chance, null]);
  assert.deepEqual(byId.get('oracleExcess@1/4')?.values, [point('oracle').excess, null]);
  const g = science.globalSelection!.recommended;
  assert.deepEqual(byId.get('globalK')?.values, [g.k === null ? 'none below n' : `${g.k} of 16 (${g.drop})`, null]);
  assert.deepEqual(byId.get('globalParametersSaved')?.values, [g.parametersSaved, null]);
  // Rows come in the registry's order after heuristic and random.
  const at = rows.filter((r) => r.id.endsWith('@1/4')).map((r) => r.id.split('@')[0]);
  assert.deepEqual(at, ['heuristic', 'random', 'oracle', 'oracleChance', 'oracleExcess', 'output-norm', 'token-choice', 'expert-choice', 'global']);
});

test('runs without those selectors get no such rows', () => {
  const ids = summaryRows([{ label: 'a', result: plain }, { label: 'b', result: structuredClone(plain) }], 'zero').map((r) => r.id);
  assert.ok(!ids.some((id) => /^(oracle|oracleChance|oracleExcess|token-choice|expert-choice|global)@|^global/.test(id)), ids.join(' '));
});
