/**
 * Issue 13, "the panels tell the truth at a glance", in the real bundle in Chromium: every control drives every view
 * (by keyboard too), runs are told apart, limits are written beside the numbers, charts say enough, exports stand on
 * their own. Fixtures: real analyses written by make_truth_fixtures.ts (demo n16 on the first 1,000 of 2,000
 * images, the two-layer ViT with the oracle left out, demo n8 on 4 images) and the earlier webview fixtures.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import type { CheckpointSummary } from '../../src/core/protocol/checkpointSummary';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import type { ComparisonRun, ViewModel } from '../../src/core/protocol/webviewProtocol';
import { buildStandaloneComparisonReport, buildStandaloneReport } from '../../src/core/report/buildStandaloneReport';
import { SHOTS, ensureBundle, fixture, launch, openWebview } from './harness';
import type { Theme, WebviewPage } from './harness';

const demo = fixture<AnalysisResult>('demo-n16-first1000.json');
const vit = fixture<AnalysisResult>('vit-gray.json');
const tiny = fixture<AnalysisResult>('demo-n8-tiny.json');
const checkpoint = fixture<CheckpointSummary>('checkpoint-n16.json');
const n4 = fixture<AnalysisResult>('compare-n4.json');
const n16 = fixture<AnalysisResult>('compare-n16.json');
const epochs = [1, 2, 3, 4].map((e) => fixture<AnalysisResult>(`training-ep${e}.json`));
const key = (c: string): string => c.repeat(40);

interface Doc {
  document: {
    querySelector(s: string): ({ dataset: Record<string, string>; textContent: string | null } & Record<string, unknown>) | null;
  };
}

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function openView(view: ViewModel, theme: Theme = 'light', state: unknown = null): Promise<WebviewPage> {
  const w = await openWebview(browser, theme, state, { width: 1280, height: 900 });
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view });
  await w.page.waitForSelector('.app-header h1');
  return w;
}

const analysis = (result: AnalysisResult, theme: Theme = 'light', state: unknown = null): Promise<WebviewPage> =>
  openView({ kind: 'analysis', result, cacheKey: key('e'), fromCache: true }, theme, state);

async function summary(page: Page, selector: string): Promise<Record<string, unknown>> {
  await page.waitForSelector(`${selector}[data-drawn="true"]`);
  return JSON.parse((await page.getAttribute(selector, 'data-summary')) ?? '{}') as Record<string, unknown>;
}

async function showTab(page: Page, tab: string): Promise<void> {
  await page.click(`vscode-tab-header[data-tab="${tab}"]`);
  await page.waitForFunction((t) => {
    const d = (globalThis as unknown as Doc).document;
    return (d.querySelector('.content') ?? d.querySelector('#app'))?.dataset.tab === t;
  }, tab);
}

const dataset = (page: Page, name: string): Promise<string | null> => page.getAttribute('.content', `data-${name}`);

async function lastPosted(w: WebviewPage, type: string): Promise<Record<string, unknown>> {
  const m = (await w.posted()).filter((x) => x.type === type).pop();
  assert.ok(m, `no ${type} message was posted`);
  return m as Record<string, unknown>;
}

test('item 1: changing the drop mode with the keyboard (Tab to the radios, →) updates every table and chart, like the mouse', async () => {
  const w = await analysis(demo);
  await showTab(w.page, 'curves');
  assert.equal(await dataset(w.page, 'drop'), 'zero');
  const noteZero = await w.page.textContent('.k-note');
  const tableZero = await w.page.textContent('.curve-table tbody');
  await w.page.focus('.controls vscode-radio[value="zero"]');
  await w.page.keyboard.press('ArrowRight');
  await w.page.waitForFunction(() => (globalThis as unknown as Doc).document.querySelector('.content')?.dataset.drop === 'renorm');
  assert.equal(await w.page.$eval('.controls vscode-radio[value="renorm"]', (e) => (e as unknown as { checked: boolean }).checked), true);
  assert.match(await w.page.textContent('.curve-table caption') ?? '', /\(renorm\)/);
  assert.notEqual(await w.page.textContent('.curve-table tbody'), tableZero, 'the table shows the renormalised numbers');
  assert.notEqual(await w.page.textContent('.k-note'), noteZero);
  assert.equal((await summary(w.page, '#chart-curves')).drop, 'renorm');
  await showTab(w.page, 'overview');
  assert.match(await w.page.textContent('.stats') ?? '', /At k = \d+ \(renorm\)/);
  // And back with ←.
  await w.page.focus('.controls vscode-radio[value="renorm"]');
  await w.page.keyboard.press('ArrowLeft');
  await w.page.waitForFunction(() => (globalThis as unknown as Doc).document.querySelector('.content')?.dataset.drop === 'zero');
  assert.match(await w.page.textContent('.stats') ?? '', /At k = \d+ \(zero\)/);
  assert.equal((await w.savedState())?.drop, 'zero');
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('item 1: the Specialisation "kept by the heuristic" heatmap follows the k slider', async () => {
  const w = await analysis(demo);
  await showTab(w.page, 'specialisation');
  await w.page.focus('[data-view="specialisation"] vscode-radio[value="mass"]');
  await w.page.keyboard.press('ArrowRight');
  await w.page.waitForFunction(() => (JSON.parse(((globalThis as unknown as Doc).document.querySelector('#chart-class-expert')?.dataset.summary) ?? '{}') as { which?: string }).which === 'selected');
  const k0 = Number(await dataset(w.page, 'k'));
  assert.equal((await summary(w.page, '#chart-class-expert')).k, k0);
  await w.page.focus('#k-slider');
  await w.page.keyboard.press('Home');
  await w.page.waitForFunction(() => (JSON.parse(((globalThis as unknown as Doc).document.querySelector('#chart-class-expert')?.dataset.summary) ?? '{}') as { k?: number }).k === 1);
  assert.equal(Number(await dataset(w.page, 'k')), 1);
  assert.match(await w.page.textContent('.heat-caption') ?? '', /at k = 1\./);
  assert.equal((await summary(w.page, '#chart-per-class')).k, 1, 'the heatmap and the per-class chart below it use the same k');
  // The numbers drawn are the result's selection frequencies at k = 1 (every class keeps exactly one expert).
  const byK = demo.perClass.specialisation[0]?.classExpertSelectedByK?.['1'];
  assert.ok(byK);
  assert.ok(byK.every((row) => Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-9));
  await w.page.screenshot({ path: `${SHOTS}/truth-specialisation-k1.png`, fullPage: true });
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('item 1: a report exported at k = 4 / renorm on the Specialisation tab opens at k = 4 / renorm on that tab', async () => {
  const w = await analysis(demo);
  await w.page.click('.controls vscode-radio[value="renorm"]');
  await w.page.focus('#k-slider');
  await w.page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await w.page.keyboard.press('ArrowRight');
  await showTab(w.page, 'specialisation');
  assert.equal(await dataset(w.page, 'k'), '4');
  await w.page.click('.controls vscode-button[data-export="html"]');
  const req = await lastPosted(w, 'exportReport');
  const state = req.state as Record<string, unknown>;
  assert.deepEqual([state.k, state.drop, state.tab], [4, 'renorm', 'specialisation']);
  assert.equal(req.suggestedName, 'n16-ep4_moe.softmoe.html');
  await w.page.close();

  // What the host then builds from that request, opened offline as a reader would.
  const html = buildStandaloneReport(demo, readFileSync(ensureBundle(), 'utf8'), { state });
  const page = await browser.newPage({ viewport: { width: 1180, height: 900 } });
  await page.route('**/*', (route) => route.abort());
  await page.setContent(html);
  await page.waitForSelector('#chart-class-expert[data-drawn="true"]');
  const root = (a: string): Promise<string | null> => page.getAttribute('#app', `data-${a}`);
  assert.deepEqual([await root('k'), await root('drop'), await root('tab')], ['4', 'renorm', 'specialisation']);
  assert.match(await page.textContent('.curve-table caption, .k-label') ?? '', /k = 4 of 16/);
  await page.close();

  // A comparison report keeps its drop mode and fraction the same way.
  const runs = [n4, n16].map((r, i) => ({ label: i ? 'n16/ep4_moe.safetensors' : 'n4/ep4_moe.safetensors', result: r }));
  const cmp = buildStandaloneComparisonReport({ mode: 'runs', title: 'n4 vs n16', runs }, readFileSync(ensureBundle(), 'utf8'), { state: { drop: 'renorm', fraction: 0.5 } });
  const p2 = await browser.newPage({ viewport: { width: 1180, height: 900 } });
  await p2.route('**/*', (route) => route.abort());
  await p2.setContent(cmp);
  await p2.waitForSelector('#chart-compare-deltas[data-drawn="true"]');
  assert.deepEqual([await p2.getAttribute('#app', 'data-drop'), await p2.getAttribute('#app', 'data-fraction')], ['renorm', '0.5']);
  await p2.close();
});

test('item 2: a run goes by its folder and file in the header, its full path in the Run section, its stem in file names', async () => {
  const w = await analysis(demo);
  assert.equal(await w.page.$eval('.app-header h1', (e) => (e as unknown as { firstChild: { textContent: string } }).firstChild.textContent), 'n16/ep4_moe.safetensors');
  assert.equal(await w.page.getAttribute('.app-header h1', 'title'), demo.checkpoint.path);
  assert.match(await w.page.textContent('.facts') ?? '', /\/workspace\/media\/demo\/models\/n16\/ep4_moe\.safetensors/);
  await showTab(w.page, 'curves');
  await w.page.locator('.chart-frame', { has: w.page.locator('#chart-curves') }).locator('vscode-button[data-export="csv"]').click();
  assert.equal((await lastPosted(w, 'export')).suggestedName, 'n16-ep4_moe-subset-accuracy.csv');
  await w.page.close();
});

test('item 3: limits are written beside the numbers: first N of M examples, the oracle left out and why, a tiny dataset', async () => {
  const w = await analysis(demo);
  const notes = await w.page.textContent('.app-header .notes') ?? '';
  assert.match(notes, /first 1,000 of the 2,000 test examples/);
  assert.match(await w.page.textContent('.app-header p') ?? '', /1,000 of 2,000 examples/);
  assert.match(await w.page.textContent('.stats') ?? '', /correct of 1,000 of 2,000 examples/);
  await w.page.close();

  const v = await analysis(vit);
  assert.match(await v.page.textContent('.app-header .notes') ?? '', /Oracle left out: it needs the paper's MNIST model/);
  await showTab(v.page, 'curves');
  assert.match(await v.page.textContent('[data-view="curves"] .notes') ?? '', /Oracle left out/, 'beside the curves it is missing from');
  await v.page.close();

  const t = await analysis(tiny);
  const warn = await t.page.textContent('.app-header .note.warn') ?? '';
  assert.match(warn, /Only 4 examples: one example moves accuracy by 25\.0%/);
  assert.match(await t.page.textContent('.stats') ?? '', /not reliable/);
  assert.match(await t.page.textContent('.stats') ?? '', /all 8 needed/, 'no "none below n"');
  await t.page.screenshot({ path: `${SHOTS}/truth-tiny-dataset.png` });
  await t.page.close();
});

test('item 3: the weight-norm chart of a layer too large to read says why instead of drawing empty axes', async () => {
  const note = 'Not drawn: this layer\'s expert weights are 1.30 GiB as float32, more than the 256 MiB the editor reads when it opens a file (the analysis reads them all).';
  const big: CheckpointSummary = { ...checkpoint, layers: checkpoint.layers.map((l) => ({ ...l, expertNorms: [], expertNormsNote: note })) };
  const w = await openView({ kind: 'checkpoint', summary: big });
  await w.page.waitForSelector('#norms-note-0');
  assert.equal(await w.page.textContent('#norms-note-0'), note);
  assert.equal(await w.page.$('#chart-norms-0'), null, 'no empty chart');
  await w.page.close();
});

test('item 6: the tensor table keeps its columns after filtering and after clearing the filter', async () => {
  const w = await openView({ kind: 'checkpoint', summary: checkpoint });
  await w.page.waitForSelector('vscode-table-row');
  // Left edges of the header cells and of the first row's cells (no named helper inside: it would not exist in the page).
  const columns = (): Promise<{ header: number[]; cells: number[] }> => w.page.evaluate(() => {
    type Box = { getBoundingClientRect(): { left: number } };
    const d = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Box>; querySelector(s: string): { querySelectorAll(s: string): ArrayLike<Box> } | null } }).document;
    return {
      header: Array.from(d.querySelectorAll('vscode-table-header-cell'), (e) => Math.round(e.getBoundingClientRect().left)),
      cells: Array.from(d.querySelector('vscode-table-row')?.querySelectorAll('vscode-table-cell') ?? [], (e) => Math.round(e.getBoundingClientRect().left)),
    };
  });
  const start = await columns();
  assert.deepEqual(start.cells, start.header);
  await w.page.fill('vscode-textfield >> input', 'experts.3.');
  await w.page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('vscode-table-row').length === 2);
  assert.deepEqual(await columns(), start, 'filtered: dtype stays under dtype');
  await w.page.fill('vscode-textfield >> input', '');
  await w.page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('vscode-table-row').length > 2);
  assert.deepEqual(await columns(), start, 'cleared: back as it was');
  assert.match(await w.page.textContent('vscode-table-row') ?? '', /KiB/, 'sizes in binary units say KiB');
  await w.page.close();
});

test('item 7: subset accuracy draws the full-accuracy and chance lines, and even k ticks', async () => {
  const w = await analysis(demo);
  await showTab(w.page, 'curves');
  const s = await summary(w.page, '#chart-curves');
  assert.equal(s.fullAccuracy, demo.fullAccuracy);
  assert.equal(s.chance, 0.1);
  assert.deepEqual(s.kTicks, { min: 1, max: 16, interval: 1 });
  const texts = await w.page.$$eval('#chart-curves svg text', (els) => els.map((e) => e.textContent ?? ''));
  assert.ok(texts.includes(`full model ${(100 * demo.fullAccuracy).toFixed(1)}%`), `texts: ${texts.join(' | ')}`);
  assert.ok(texts.includes('chance 10.0%'));
  const ticks = texts.filter((t) => /^\d+$/.test(t)).map(Number);
  assert.deepEqual(ticks, Array.from({ length: 16 }, (_, i) => i + 1), 'every k from 1 to 16, evenly');
  await w.page.screenshot({ path: `${SHOTS}/truth-curves.png` });
  await w.page.close();
});

test('item 7: class × expert mass on a diverging scale centred on 1/n; Compare shares one colour scale; training entropy from 0 to its maximum', async () => {
  const w = await analysis(demo);
  await showTab(w.page, 'specialisation');
  assert.equal((await summary(w.page, '#chart-class-expert')).center, 1 / 16);
  assert.match(await w.page.textContent('.heat-caption') ?? '', /1\/n = 0\.063/);
  await w.page.close();

  const run = (label: string, result: AnalysisResult, c: string, epoch?: number): ComparisonRun =>
    ({ label, result: { ...result, samples: [] }, source: { kind: 'cache', cacheKey: key(c) }, ...(epoch !== undefined ? { epoch } : {}) });
  const c = await openView({ kind: 'comparison', mode: 'runs', title: 'n4 vs n16', runs: [run('n4/ep4_moe.safetensors', n4, 'a'), run('n16/ep4_moe.safetensors', n16, 'b')] });
  const [a, b] = [await summary(c.page, '#chart-compare-heat-0'), await summary(c.page, '#chart-compare-heat-1')];
  assert.deepEqual([a.min, a.max], [b.min, b.max], 'one scale for both runs');
  assert.ok((a.min as number) < 1 && (a.max as number) > 1 && Math.abs((a.min as number) + (a.max as number) - 2) < 1e-9, 'centred on uniform (1×)');
  await c.page.close();

  const t = await openView({ kind: 'comparison', mode: 'training', title: 'Training run n16', runs: epochs.map((r, i) => run(`epoch ${i + 1}`, r, String(i + 1), i + 1)) });
  const routing = await summary(t.page, '#chart-training-routing');
  assert.deepEqual(routing.entropyAxis, [0, epochs[0]?.routing[0]?.maxEntropy]);
  await t.page.close();
});

test('item 7: Φ ticks name real dims; sample overlays have a colour bar and say what "score" is; tiles show prediction and true label', async () => {
  const w = await openView({ kind: 'checkpoint', summary: checkpoint });
  const phi = await summary(w.page, '#chart-phi-0');
  assert.deepEqual(phi.firstRows, ['0–3', '4–7', '8–11'], '196 dims averaged in 49 groups of 4');
  await w.page.close();

  const s = await analysis(demo, 'dark');
  await showTab(s.page, 'samples');
  // Sample 750 is a Pullover the model calls a Coat: the tile says both, in full.
  const tile = s.page.locator('.thumb[data-index="750"]');
  assert.match(await tile.textContent() ?? '', /✗ Coat.*true: Pullover/);
  const overflow = await s.page.$$eval('.thumb-caption, .thumb-label', (els) => els.filter((e) => (e as unknown as { scrollWidth: number; clientWidth: number }).scrollWidth > (e as unknown as { clientWidth: number }).clientWidth + 1).length);
  assert.equal(overflow, 0, 'no caption is cut');
  await tile.click();
  await s.page.waitForSelector('.sample-detail[data-sample="750"]');
  assert.match(await s.page.textContent('.sample-detail') ?? '', /Score: the expert's combine weight summed over all tokens and its slots/);
  assert.match(await s.page.getAttribute('.colour-bar', 'aria-label') ?? '', /dispatch weight from 0 to 0\.\d{3}/);
  await s.page.screenshot({ path: `${SHOTS}/truth-samples-dark.png`, fullPage: true });
  await s.page.close();
});

test('item 7: the drill-down of a multi-layer ViT says which layer it shows and follows the layer picker', async () => {
  const w = await analysis(vit);
  await showTab(w.page, 'samples');
  await w.page.click('.thumb[data-index="8"]');
  await w.page.waitForSelector('.detail-layer');
  assert.match(await w.page.textContent('.detail-layer') ?? '', /layer 1 of 2: blocks\.1\.mlp/);
  const k = Number(await dataset(w.page, 'k'));
  const experts = (): Promise<number[]> => w.page.$$eval('.overlay', (els) => els.map((e) => Number(e.getAttribute('data-expert'))));
  assert.deepEqual(await experts(), vit.samples.find((x) => x.index === 8)?.layers[0]?.ranking.slice(0, k));
  await w.page.click('[data-view="samples"] vscode-single-select');
  await w.page.click('[data-view="samples"] vscode-option[value="1"]').catch(async () => {
    await w.page.keyboard.press('ArrowDown');
    await w.page.keyboard.press('Enter');
  });
  await w.page.waitForFunction(() => /layer 2 of 2/.test((globalThis as unknown as Doc).document.querySelector('.detail-layer')?.textContent ?? ''));
  assert.deepEqual(await experts(), vit.samples.find((x) => x.index === 8)?.layers[1]?.ranking.slice(0, k));
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('item 8: a chart export carries title, model, dataset, drop and k, on a white background at a fixed size, even from a dark theme', async () => {
  const w = await analysis(demo, 'dark');
  await w.page.click('.controls vscode-radio[value="renorm"]');
  await w.page.focus('#k-slider');
  await w.page.keyboard.press('Home');
  for (let i = 0; i < 3; i++) await w.page.keyboard.press('ArrowRight');
  await showTab(w.page, 'curves');
  await summary(w.page, '#chart-curves');
  await w.page.locator('.chart-frame', { has: w.page.locator('#chart-curves') }).locator('vscode-button[data-export="svg"]').click();
  const req = await lastPosted(w, 'export');
  assert.equal(req.suggestedName, 'n16-ep4_moe-subset-accuracy.svg');
  const svg = String(req.data);
  const blank = await browser.newPage();
  const parsed = await blank.evaluate((text) => {
    const doc = new (globalThis as unknown as { DOMParser: new () => { parseFromString(t: string, m: string): { documentElement: { getAttribute(a: string): string | null; querySelectorAll(s: string): ArrayLike<{ textContent: string | null; getAttribute(a: string): string | null }> } } } }).DOMParser().parseFromString(text, 'image/svg+xml');
    const root = doc.documentElement;
    return {
      width: root.getAttribute('width'), height: root.getAttribute('height'),
      texts: Array.from(root.querySelectorAll('text'), (t) => t.textContent ?? ''),
      fills: Array.from(root.querySelectorAll('rect'), (r) => r.getAttribute('fill') ?? '').slice(0, 2),
    };
  }, svg);
  await blank.close();
  assert.deepEqual([parsed.width, parsed.height], ['1200', '720']);
  assert.ok(parsed.texts.includes('Subset accuracy'), `texts: ${parsed.texts.slice(0, 6).join(' | ')}`);
  const subtitle = parsed.texts.find((t) => t.startsWith('n16/ep4_moe.safetensors')) ?? '';
  assert.match(subtitle, /data \(test\), 1,000 of 2,000 examples · drop renorm · k = 4 of 16/);
  assert.ok(parsed.fills.some((f) => f.toLowerCase() === '#ffffff'), `white background, not the dark theme's: ${parsed.fills.join(', ')}`);
  await w.page.close();
});

test('item 9: a comparison lists the runs it had to leave out, and why', async () => {
  const runs: ComparisonRun[] = [n4, n16].map((r, i) => ({ label: i ? 'n16/ep4_moe.safetensors' : 'n4/ep4_moe.safetensors', result: { ...r, samples: [] }, source: { kind: 'cache', cacheKey: key(String(i)) } }));
  const w = await openView({
    kind: 'comparison', mode: 'runs', title: 'n4 vs n16', runs,
    skipped: [{ label: 'docs/broken.softmoe.json', reason: 'broken.softmoe.json is not JSON, so it is not a Soft MoE analysis result.' }],
  });
  const banner = await w.page.textContent('.skipped-runs') ?? '';
  assert.match(banner, /1 run left out of this comparison/);
  assert.match(banner, /docs\/broken\.softmoe\.json — broken\.softmoe\.json is not JSON/);
  assert.equal(await w.page.locator('#compare-summary thead th').count(), 3, 'the readable runs are compared');
  await w.page.close();
});

test('item 10: wording: plurals, binary units, formatted timestamps, Escape closes the drill-down', async () => {
  const one: CheckpointSummary = { ...checkpoint, tensorCount: 1, tensors: checkpoint.tensors.slice(0, 1), layers: checkpoint.layers.map((l) => ({ ...l, numExperts: 1 })) };
  const c = await openView({ kind: 'checkpoint', summary: one });
  const stats = await c.page.textContent('.stats') ?? '';
  assert.match(stats, /1 tensor(?!s)/);
  assert.match(stats, /1 Soft MoE layer(?!s)/);
  assert.match(stats, /\d\.\d+ MiB/);
  assert.match(await c.page.textContent('section.layer') ?? '', /1 expert ×/);
  await c.page.close();

  const t = await openView({ kind: 'comparison', mode: 'training', title: 'Training run n16', runs: [{ label: 'epoch 1', result: { ...epochs[0] as AnalysisResult, samples: [] }, source: { kind: 'none' }, epoch: 1 }] });
  assert.match(await t.page.textContent('.app-header p') ?? '', /^1 epoch ·/);
  await t.page.close();

  const w = await analysis(demo);
  const created = await w.page.textContent('.facts') ?? '';
  assert.doesNotMatch(created, /T12:00:00\.000Z/);
  assert.match(created, /2025-06-01 \d\d:\d\d by softmoe-inspector/);
  await showTab(w.page, 'samples');
  await w.page.focus('.thumb[data-index="41"]');
  await w.page.keyboard.press('Enter');
  await w.page.waitForSelector('.sample-detail[data-sample="41"]');
  await w.page.keyboard.press('Escape');
  await w.page.waitForFunction(() => (globalThis as unknown as Doc).document.querySelector('.sample-detail')?.hidden === true);
  assert.equal((await w.savedState())?.sample, null);
  assert.equal(await w.page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(a: string): string | null } | null } }).document.activeElement?.getAttribute('data-index')), '41', 'the focus goes back to the tile');
  assert.deepEqual(w.errors, []);
  await w.page.close();
});
