/**
 * The answers to the paper's reviewers in the analysis panel, on a real analysis (test/fixtures/webview/
 * make_science_fixture.sh): the oracle's chance level as its own dotted line with a legend entry, token and expert
 * choice as selectors, the global subset with its experts and the Prune Experts… request to the host.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import { SHOTS, THEME_VARS, fixture, launch, openWebview } from './harness';
import type { WebviewPage } from './harness';

const result = fixture<AnalysisResult>('analysis-science-n16.json');
let browser: Browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(theme: 'light' | 'dark', state: unknown = null): Promise<WebviewPage> {
  const w = await openWebview(browser, theme, state, { width: 1180, height: 980 });
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'analysis', result, cacheKey: 'd'.repeat(40), fromCache: true } });
  await w.page.waitForSelector('.app-header h1');
  return w;
}

async function curves(w: WebviewPage): Promise<Record<string, unknown>> {
  await w.page.click('vscode-tab-header[data-tab="curves"]');
  await w.page.waitForSelector('#chart-curves[data-drawn="true"]');
  return JSON.parse((await w.page.getAttribute('#chart-curves', 'data-summary')) ?? '{}') as Record<string, unknown>;
}

test('the oracle has its chance level beside it: a legend entry, a dotted line under it, chance and excess in the table', async () => {
  const w = await open('light', { tab: 'curves', k: 4, drop: 'zero' });
  const s = await curves(w);
  const legend = s.legend as string[];
  assert.deepEqual(legend.slice(legend.indexOf('Oracle'), legend.indexOf('Oracle') + 2), ['Oracle', 'Oracle chance (wrong label)']);
  for (const label of ['Token choice', 'Expert choice', 'Global (one subset)', 'Output norm']) assert.ok(legend.includes(label), label);
  // Drawn as a reference line, like the full model's and 1/classes: through the oracle's chance level at every k.
  const oracleZero = result.curves.find((c) => c.selector === 'oracle' && c.drop === 'zero')!;
  const refs = s.references as Array<{ label: string; at: number | Array<[number, number]>; legend: boolean }>;
  assert.deepEqual(refs.map((r) => [r.label.replace(/ [\d.]+%$/, ''), r.legend]), [['full model', false], ['chance', false], ['Oracle chance (wrong label)', true]]);
  assert.deepEqual(refs[2]!.at, oracleZero.points.map((p) => [p.k, p.chance]));
  assert.ok(oracleZero.points.every((p) => p.chance! < p.accuracy), 'under the oracle');
  // Its segments are drawn (k = 1…16: 15 of them) dotted, in the oracle's colour, beside the oracle's own dashed curve.
  const seriesColours = ['blue', 'orange', 'green', 'purple', 'yellow', 'red'].map((c) => THEME_VARS.light[`--vscode-charts-${c}`]!.toLowerCase());
  const colour = seriesColours[(s.series as Array<{ selector: string }>).findIndex((c) => c.selector === 'oracle') % seriesColours.length];
  const segments = await w.page.$$eval('#chart-curves svg path[stroke-dasharray]', (els, c) => els.filter((e) => (e.getAttribute('stroke') ?? '').toLowerCase() === c)
    .map((e) => e.getAttribute('d') ?? '').filter((d) => /^M[\d.]+ [\d.]+L[\d.]+ [\d.]+$/.test(d) && !d.startsWith('M0 ')), colour);
  assert.equal(segments.length, 15, `dotted segments in ${colour}: ${segments.join(' | ')}`);
  // Random and Token choice get the light theme's orange and yellow, which are close: their markers differ, and no
  // two curves share both colour and marker.
  const drawn = (s.series as Array<{ selector: string; marker: string }>).map((c, i) => ({ ...c, colour: i % seriesColours.length }));
  const marker = (sel: string) => drawn.find((c) => c.selector === sel)?.marker;
  assert.notEqual(marker('random'), marker('token-choice'));
  assert.equal(new Set(drawn.map((c) => `${c.colour}/${c.marker}`)).size, drawn.length, JSON.stringify(drawn));
  const oracle = oracleZero.points.find((p) => p.k === 4)!;
  const table = (await w.page.textContent('.curve-table')) ?? '';
  assert.match(table, new RegExp(`chance \\(a wrong label\\) ${(100 * oracle.chance!).toFixed(1)}%, excess \\+${(100 * oracle.excess!).toFixed(1)} pp`));
  assert.match(table, /Token choice/);
  assert.match(table, /one subset for every input/);
  await w.page.screenshot({ path: `${SHOTS}/reviewers-curves-light.png` });
  await w.page.click('vscode-tab-header[data-tab="overview"]');
  await w.page.waitForSelector('.stats');
  const stats = (await w.page.textContent('.stats')) ?? '';
  assert.match(stats, /Oracle at k = 4/);
  assert.match(stats, /a wrong label/);
  assert.match(stats, /Global subset \(one for all inputs\)/);
  assert.deepEqual(w.errors, []);
  assert.deepEqual(await w.cspViolations(), []);
  await w.page.close();
});

test('a legend that wraps (every selector and the chance level, a narrow panel) pushes the plot down instead of covering it', async () => {
  const w = await openWebview(browser, 'light', { tab: 'curves', k: 4, drop: 'zero' }, { width: 760, height: 900 });
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'analysis', result, cacheKey: 'd'.repeat(40), fromCache: true } });
  const s = await curves(w);
  const legend = s.legend as string[];
  const boxes = await w.page.$$eval('#chart-curves svg text', (els) => els.map((e) => {
    const b = e.getBoundingClientRect();
    return { text: e.textContent ?? '', top: b.top, bottom: b.bottom };
  }));
  const entries = boxes.filter((b) => legend.includes(b.text));
  assert.equal(entries.length, legend.length, 'every legend entry is drawn');
  assert.ok(new Set(entries.map((b) => Math.round(b.top))).size >= 2, 'the legend wraps at this width');
  const top = boxes.find((b) => b.text === '100%')!;
  assert.ok(Math.max(...entries.map((b) => b.bottom)) < top.top, `legend bottom ${Math.max(...entries.map((b) => b.bottom))} above the plot's 100% label at ${top.top}`);
  await w.page.close();
});

test('the global subset at k names its experts and calibration; Prune Experts… asks the host for that k', async () => {
  const w = await open('dark', { tab: 'curves', k: 6, drop: 'renorm' });
  await curves(w);
  const g = result.globalSelection!;
  const note = (await w.page.textContent('.global-note')) ?? '';
  const want = g.orders.renorm![0]!.slice(0, 6).sort((a, b) => a - b).join(', ');
  assert.match(note, new RegExp(`experts \\[${want}\\]`));
  assert.match(note, /2,000 calibration examples/);
  const pt = result.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')!.points.find((p) => p.k === 6)!;
  assert.match(note, new RegExp(`scores ${(100 * pt.accuracy).toFixed(1)}%`));
  await w.page.screenshot({ path: `${SHOTS}/reviewers-global-dark.png` });
  await w.page.click('.prune-button');
  await w.page.waitForFunction(() => (globalThis as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === 'prune'));
  const req = (await w.posted()).find((m) => m.type === 'prune')!;
  assert.equal(req.k, 6);
  // The host answers; the panel says where the file went.
  await w.send({ type: 'response', inReplyTo: req.requestId, ok: true, body: { written: true, path: '/workspace/pruned/ep4_moe-k6.safetensors' } });
  await w.page.waitForSelector('.banner.info');
  assert.match((await w.page.textContent('.banner')) ?? '', /ep4_moe-k6\.safetensors/);
  await w.page.close();
});

test('no Prune Experts… button where nothing can write a file (a standalone report renders without the host)', async () => {
  const w = await openWebview(browser, 'light');
  await w.page.evaluate((r) => {
    const g = globalThis as unknown as { document: { body: { append(e: unknown): void }; createElement(t: string): { id: string } }; SoftMoeReport: { renderAnalysis(root: unknown, r: unknown, o: unknown): void } };
    const root = g.document.createElement('main');
    root.id = 'report-root';
    g.document.body.append(root);
    g.SoftMoeReport.renderAnalysis(root, r, { state: { tab: 'curves', k: 6 } });
  }, result);
  await w.page.waitForSelector('#report-root .global-note');
  assert.equal(await w.page.$('#report-root .prune-button'), null);
  await w.page.close();
});
