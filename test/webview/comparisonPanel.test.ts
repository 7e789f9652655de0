import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import type { ComparisonRun, ViewModel } from '../../src/core/protocol/webviewProtocol';
import { SHOTS, fixture, launch, openWebview } from './harness';
import type { WebviewPage } from './harness';

const n4 = fixture<AnalysisResult>('compare-n4.json');
const n16 = fixture<AnalysisResult>('compare-n16.json');
const synthetic = fixture<AnalysisResult>('analysis-n16.json');
const epochs = [1, 2, 3, 4].map((e) => fixture<AnalysisResult>(`training-ep${e}.json`));
const key = (c: string) => c.repeat(40);

const run = (label: string, result: AnalysisResult, c: string, epoch?: number): ComparisonRun =>
  ({ label, result: { ...result, samples: [] }, source: { kind: 'cache', cacheKey: key(c) }, ...(epoch !== undefined ? { epoch } : {}) });
const twoRuns: ViewModel = { kind: 'comparison', mode: 'runs', title: 'n4 vs n16', runs: [run('n4/ep4_moe.safetensors', n4, 'a'), run('n16/ep4_moe.safetensors', n16, 'b')] };

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(view: ViewModel, theme: 'light' | 'dark' = 'light', state: unknown = null): Promise<WebviewPage> {
  const w = await openWebview(browser, theme, state, { width: 1280, height: 900 });
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view });
  await w.page.waitForSelector('.app-header h1');
  return w;
}

async function summary(w: WebviewPage, selector: string): Promise<Record<string, unknown>> {
  await w.page.waitForSelector(`${selector}[data-drawn="true"]`);
  return JSON.parse((await w.page.getAttribute(selector, 'data-summary')) ?? '{}') as Record<string, unknown>;
}

const rowCount = (w: WebviewPage) => w.page.locator('#compare-summary tbody tr').count();

test('two runs with n = 4 and n = 16: the overlay, the table, the toggle, the deltas and both heatmaps', async () => {
  const w = await open(twoRuns);
  const overlay = await summary(w, '#chart-compare-curves');
  assert.deepEqual((overlay.series as Array<{ label: string; selector: string; points: number }>).map((s) => [s.label, s.selector, s.points]), [
    ['n4/ep4_moe.safetensors', 'heuristic', 4], ['n4/ep4_moe.safetensors', 'random', 4],
    ['n16/ep4_moe.safetensors', 'heuristic', 16], ['n16/ep4_moe.safetensors', 'random', 16],
  ]);
  const dashes = await w.page.$$eval('#chart-compare-curves svg path[stroke-dasharray]', (els) => els.length);
  assert.ok(dashes >= 2, 'the random curves are dashed');
  const heads = await w.page.$$eval('#compare-summary thead th', (els) => els.map((e) => e.textContent));
  assert.deepEqual(heads, ['Figure', 'n4/ep4_moe.safetensors', 'n16/ep4_moe.safetensors']);
  assert.match(await w.page.textContent('#compare-summary tr[data-row="experts"]') ?? '', /4.*16/);
  assert.equal(await w.page.textContent('#compare-summary tr[data-row="random@1/8"] td'), '–', 'no 1/8 of four experts');
  const all = await rowCount(w);
  await w.page.click('#diff-only');
  await w.page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { dataset: Record<string, string> } | null } }).document.querySelector('.content')?.dataset.diffOnly === 'true');
  const diff = await rowCount(w);
  assert.ok(diff < all && diff > 0, `differences only: ${diff} of ${all} rows`);
  assert.equal(await w.page.locator('#compare-summary tr[data-row="dataset"]').count(), 0, 'the same dataset is hidden');
  assert.equal((await w.savedState())?.diffOnly, true);

  const deltas = await summary(w, '#chart-compare-deltas');
  assert.equal(deltas.fraction, 0.25);
  assert.deepEqual(deltas.ks, [1, 4], 'a quarter is k = 1 of 4 and k = 4 of 16');
  assert.match(await w.page.textContent('#compare-deltas-table') ?? '', /Ankle boot/);
  const options = await w.page.$$eval('#fraction-select option', (els) => els.map((e) => e.getAttribute('value')));
  assert.deepEqual(options, ['0.25', '0.5', '0.75'], 'only fractions both runs have, below 1');
  await w.page.selectOption('#fraction-select', '0.5');
  assert.deepEqual((await summary(w, '#chart-compare-deltas')).ks, [2, 8]);
  assert.equal((await w.savedState())?.fraction, 0.5);
  await w.page.selectOption('#fraction-select', '0.25');
  for (const i of [0, 1]) assert.equal((await summary(w, `#chart-compare-heat-${i}`)).cols, i === 0 ? 4 : 16);
  assert.deepEqual(await w.cspViolations(), []);
  assert.deepEqual(w.errors, []);
  await w.page.click('#diff-only');
  await w.page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await w.page.screenshot({ path: `${SHOTS}/compare-light-full.png`, fullPage: true });
  // The README's picture: header, overlay and summary table.
  await w.page.screenshot({ path: `${SHOTS}/compare-light.png`, fullPage: true, clip: { x: 0, y: 0, width: 1280, height: 1290 } });
  await w.page.close();
});

test('three runs (different n and different numbers of examples) and a restored fraction', async () => {
  const three: ViewModel = { ...twoRuns, title: 'three runs', runs: [...(twoRuns.kind === 'comparison' ? twoRuns.runs : []), run('synthetic n16', synthetic, 'c')] } as ViewModel;
  const w = await open(three, 'dark', { fraction: 0.5, drop: 'renorm', diffOnly: false });
  assert.equal(((await summary(w, '#chart-compare-curves')).series as unknown[]).length, 6);
  assert.equal((await summary(w, '#chart-compare-curves')).drop, 'renorm', 'the restored drop mode');
  assert.equal(await w.page.locator('#compare-summary thead th').count(), 4);
  assert.match(await w.page.textContent('#compare-summary tr[data-row="examples"]') ?? '', /1,000.*1,000.*2,000/);
  const deltas = await summary(w, '#chart-compare-deltas');
  assert.deepEqual(deltas.ks, [2, 8, 8]);
  assert.deepEqual((deltas.runs as Array<{ hasDelta: boolean }>).map((r) => r.hasDelta), [true, true]);
  assert.equal(await w.page.locator('.heat-cell').count(), 3);
  await w.page.screenshot({ path: `${SHOTS}/compare-three-dark.png`, fullPage: true });
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('training mode draws accuracy and routing over the epochs, then the comparison of the epochs', async () => {
  const view: ViewModel = { kind: 'comparison', mode: 'training', title: 'Training run n16', runs: epochs.map((r, i) => run(`epoch ${i + 1}`, r, String(i + 1), i + 1)) };
  const w = await open(view);
  assert.equal(await w.page.getAttribute('.content', 'data-mode'), 'training');
  const acc = await summary(w, '#chart-training-accuracy');
  assert.deepEqual(acc.epochs, [1, 2, 3, 4]);
  const routing = await summary(w, '#chart-training-routing');
  assert.deepEqual(routing.entropy, epochs.map((r) => r.routing[0].combineEntropy));
  assert.equal(((await summary(w, '#chart-compare-curves')).series as unknown[]).length, 8);
  await w.page.screenshot({ path: `${SHOTS}/training-light.png`, fullPage: true });
  const saved = await w.savedState();
  assert.deepEqual((saved?.restore as { runs: Array<{ epoch: number }> }).runs.map((r) => r.epoch), [1, 2, 3, 4], 'the serializer gets epochs and sources');
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

async function lastExport(w: WebviewPage, type = 'export'): Promise<{ requestId: number; format?: string; suggestedName: string; data?: string }> {
  await w.page.waitForFunction((t) => (globalThis as unknown as { __posted: Array<{ type: string }> }).__posted.some((m) => m.type === t), type);
  const posted = await w.posted();
  return posted.filter((m) => m.type === type).pop() as unknown as { requestId: number; format?: string; suggestedName: string; data?: string };
}

async function clearPosted(w: WebviewPage): Promise<void> {
  await w.page.evaluate(() => { (globalThis as unknown as { __posted: unknown[] }).__posted.length = 0; });
}

test('export: the overlay as PNG (a real PNG at 2×), SVG and CSV, the table as CSV, the panel as JSON and report, by mouse and keyboard', async () => {
  const w = await open(twoRuns);
  await summary(w, '#chart-compare-curves');
  const frame = w.page.locator('.chart-frame', { has: w.page.locator('#chart-compare-curves') });
  await clearPosted(w);
  await frame.locator('vscode-button[data-export="png"]').click();
  const png = await lastExport(w);
  assert.equal(png.format, 'png');
  assert.match(png.suggestedName, /\.png$/);
  const bytes = Buffer.from((png.data ?? '').replace(/^data:image\/png;base64,/, ''), 'base64');
  assert.deepEqual([...bytes.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  // A fixed export size whatever the panel's width: 1200 × 720 CSS pixels, drawn at 2×.
  assert.deepEqual([bytes.readUInt32BE(16), bytes.readUInt32BE(20)], [2400, 1440], 'IHDR: twice the 1200 × 720 export size');
  writeFileSync(`${SHOTS}/export-overlay.png`, bytes);
  await w.send({ type: 'response', inReplyTo: png.requestId, ok: true, body: { saved: true, name: 'curves.png' } });
  await w.page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('.chart-frame .export-status')?.textContent === 'Saved curves.png');

  await clearPosted(w);
  await frame.locator('vscode-button[data-export="svg"]').focus();
  await w.page.keyboard.press('Enter');
  const svg = await lastExport(w);
  assert.equal(svg.format, 'svg');
  // Parsed in a blank page: the panel's CSP would (rightly) refuse the <style> of a parsed document.
  const blank = await browser.newPage();
  const parsed = await blank.evaluate((text) => {
    const doc = new (globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, m: string): { documentElement: { nodeName: string; querySelectorAll(s: string): { length: number } }; querySelector(s: string): unknown } } }).DOMParser().parseFromString(text, 'image/svg+xml');
    return { root: doc.documentElement.nodeName, error: doc.querySelector('parsererror') !== null, paths: doc.documentElement.querySelectorAll('path').length };
  }, svg.data ?? '');
  await blank.close();
  assert.deepEqual([parsed.root, parsed.error], ['svg', false]);
  assert.ok(parsed.paths > 4);
  writeFileSync(`${SHOTS}/export-overlay.svg`, svg.data ?? '');

  await clearPosted(w);
  await frame.locator('vscode-button[data-export="csv"]').focus();
  await w.page.keyboard.press('Space');
  const csv = await lastExport(w);
  assert.equal(csv.data?.split('\n')[0], 'run,selector,drop,experts,k,fraction,accuracy,std');
  assert.equal(csv.data?.trim().split('\n').length, 1 + 2 * (4 + 16));

  await clearPosted(w);
  await w.page.locator('.table-frame', { has: w.page.locator('#compare-summary') }).locator('vscode-button[data-export="csv"]').click();
  const table = await lastExport(w);
  assert.equal(table.data?.split('\n')[0], 'figure,n4/ep4_moe.safetensors,n16/ep4_moe.safetensors');

  await clearPosted(w);
  await w.page.locator('.controls vscode-button[data-export="json"]').click();
  const json = JSON.parse((await lastExport(w)).data ?? '{}') as { runs: Array<{ result: AnalysisResult }> };
  assert.equal(json.runs[1].result.fullAccuracy, n16.fullAccuracy);
  await w.page.locator('.controls vscode-button[data-export="html"]').click();
  assert.match((await lastExport(w, 'exportReport')).suggestedName, /\.html$/);
  const heatCsv = w.page.locator('.chart-frame', { has: w.page.locator('#chart-compare-heat-0') }).locator('vscode-button[data-export="csv"]');
  await clearPosted(w);
  await heatCsv.click();
  const heat = (await lastExport(w)).data ?? '';
  assert.equal(heat.split('\n')[0], 'class \\ expert,0,1,2,3');
  assert.equal(heat.trim().split('\n').length, 11);
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('the analysis panel exports its charts and tables too', async () => {
  const w = await open({ kind: 'analysis', result: synthetic, cacheKey: key('d'), fromCache: true });
  await w.page.click('vscode-tab-header[data-tab="curves"]');
  await summary(w, '#chart-curves');
  await clearPosted(w);
  await w.page.locator('.chart-frame', { has: w.page.locator('#chart-curves') }).locator('vscode-button[data-export="csv"]').click();
  const csv = await lastExport(w);
  assert.match(csv.data ?? '', /^selector,drop,k,fraction,accuracy/);
  await clearPosted(w);
  await w.page.locator('.chart-frame', { has: w.page.locator('#chart-curves') }).locator('vscode-button[data-export="png"]').click();
  assert.match((await lastExport(w)).data ?? '', /^data:image\/png;base64,iVBORw0KGgo/);
  await w.page.click('vscode-tab-header[data-tab="routing"]');
  await summary(w, '#chart-load');
  await clearPosted(w);
  await w.page.locator('.chart-frame', { has: w.page.locator('#chart-load') }).locator('vscode-button[data-export="csv"]').click();
  const load = (await lastExport(w)).data ?? '';
  assert.equal(load.split('\n')[0], 'expert,Combine load,Dispatch load');
  assert.equal(load.trim().split('\n').length, 17);
  await clearPosted(w);
  await w.page.locator('.controls vscode-button[data-export="json"]').click();
  const exp = await lastExport(w);
  assert.equal(exp.suggestedName, 'n16-ep14_moe.softmoe.json', 'named after the run: parent folder and checkpoint');
  assert.deepEqual(JSON.parse(exp.data ?? '{}'), synthetic);
  assert.deepEqual(w.errors, []);
  await w.page.close();
});
