import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { buildStandaloneComparisonReport, buildStandaloneReport, jsonForScript, scriptForInline } from '../../../src/core/report/buildStandaloneReport';

const result = JSON.parse(readFileSync(join(__dirname, '../../fixtures/webview/analysis-n16.json'), 'utf8')) as AnalysisResult;

function embeddedJson(html: string): unknown {
  const m = /<script type="application\/json" id="softmoe-result">([^]*?)<\/script>/.exec(html);
  assert.ok(m, 'the result is embedded');
  return JSON.parse(m[1]);
}

test('the report embeds the result losslessly and the bundle under one CSP nonce', () => {
  const html = buildStandaloneReport(result, 'console.log("bundle")', { nonce: 'abc123' });
  assert.deepEqual(embeddedJson(html), result);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'; script-src 'nonce-abc123'; style-src 'nonce-abc123'/);
  assert.match(html, /<script nonce="abc123">console\.log\("bundle"\)<\/script>/);
  assert.match(html, /<title>ep14_moe\.pt — Soft MoE analysis<\/title>/);
});

test('text from the result or the bundle cannot close the script element or inject markup', () => {
  const hostile = structuredClone(result);
  hostile.checkpoint.name = '</script><script>alert(1)</script>';
  hostile.dataset.classNames[0] = '<!-- \u2028';
  const html = buildStandaloneReport(hostile, 'const s = "</script><img src=x>"; // <!--', { nonce: 'n' });
  assert.equal(html.match(/<\/script>/g)?.length, 2, 'only the two real closing tags');
  assert.ok(!/<script>alert/.test(html), 'the name never becomes markup');
  assert.ok(!html.includes('<!--'));
  assert.deepEqual(embeddedJson(html), hostile);
  assert.match(html, /<title>&lt;\/script&gt;/);
  assert.equal(JSON.parse(jsonForScript({ a: '</script>' })).a, '</script>');
  assert.equal(scriptForInline('x="</SCRIPT>"'), 'x="<\\/SCRIPT>"');
});

test('each report gets a fresh nonce unless one is given', () => {
  const nonce = (h: string) => /nonce-([^']+)'/.exec(h)?.[1];
  const a = buildStandaloneReport(result, '');
  const b = buildStandaloneReport(result, '');
  assert.ok(nonce(a) && nonce(b) && nonce(a) !== nonce(b));
});

test('a comparison report embeds every run without its samples, under the same CSP', () => {
  const other = structuredClone(result);
  other.checkpoint.name = 'n4.pt';
  const html = buildStandaloneComparisonReport({ mode: 'runs', title: 'Demo suite', runs: [{ label: 'n16', result }, { label: 'n4', result: other, epoch: 3 }] }, 'js()', { nonce: 'q' });
  const embedded = embeddedJson(html) as { kind: string; mode: string; runs: Array<{ label: string; epoch?: number; result: AnalysisResult }> };
  assert.equal(embedded.kind, 'comparison');
  assert.deepEqual(embedded.runs.map((r) => [r.label, r.epoch, r.result.checkpoint.name, r.result.samples.length]), [['n16', undefined, 'ep14_moe.pt', 0], ['n4', 3, 'n4.pt', 0]]);
  assert.deepEqual({ ...embedded.runs[0].result, samples: result.samples }, result, 'everything else is kept');
  assert.match(html, /<title>Demo suite — Soft MoE comparison<\/title>/);
  assert.match(html, /script-src 'nonce-q'/);
});
