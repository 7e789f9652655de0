import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import { SHOTS, fixture, launch, openWebview } from './harness';
import type { WebviewPage } from './harness';

const result = fixture<AnalysisResult>('analysis-n16.json');
const CACHE_KEY = 'c'.repeat(40);
let browser: Browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function openAnalysis(theme: 'light' | 'dark' | 'high-contrast', state: unknown = null): Promise<WebviewPage> {
  const w = await openWebview(browser, theme, state);
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'analysis', result, cacheKey: CACHE_KEY, fromCache: true } });
  await w.page.waitForSelector('.app-header h1');
  return w;
}

async function summary(w: WebviewPage, selector: string): Promise<Record<string, unknown>> {
  await w.page.waitForSelector(`${selector}[data-drawn="true"]`);
  return JSON.parse((await w.page.getAttribute(selector, 'data-summary')) ?? '{}') as Record<string, unknown>;
}

async function showTab(w: WebviewPage, tab: string): Promise<void> {
  await w.page.click(`vscode-tab-header[data-tab="${tab}"]`);
  await w.page.waitForFunction((t) => (globalThis as unknown as { document: { querySelector(s: string): { dataset: Record<string, string> } | null } }).document.querySelector('.content')?.dataset.tab === t, tab);
}

test('every view renders its charts from the fixture result, with no CSP violation or page error', async () => {
  const w = await openAnalysis('light');
  assert.match(await w.page.textContent('.stats') ?? '', /89\.3%/);
  assert.match(await w.page.textContent('.stats') ?? '', /8 of 16/);
  await w.page.screenshot({ path: `${SHOTS}/light-overview.png` });
  await showTab(w, 'curves');
  const curves = await summary(w, '#chart-curves');
  assert.deepEqual((curves.series as Array<{ selector: string; points: number }>).map((s) => [s.selector, s.points]), [['heuristic', 16], ['random', 16], ['oracle', 16]]);
  assert.ok(await w.page.$('#chart-curves svg path'), 'an SVG chart is drawn');
  await w.page.screenshot({ path: `${SHOTS}/light-curves.png`, fullPage: true });
  await showTab(w, 'specialisation');
  assert.deepEqual(await summary(w, '#chart-class-expert'), { which: 'mass', layer: '', rows: 10, cols: 16, k: null, center: 1 / 16 });
  await summary(w, '#chart-per-class');
  assert.match(await w.page.textContent('[data-view="specialisation"] table') ?? '', /Ankle boot/);
  await w.page.screenshot({ path: `${SHOTS}/light-specialisation.png`, fullPage: true });
  await showTab(w, 'routing');
  assert.deepEqual((await summary(w, '#chart-load')).dead, [13]);
  assert.equal((await summary(w, '#chart-output-cosine')).experts, 16);
  await w.page.screenshot({ path: `${SHOTS}/light-routing.png`, fullPage: true });
  await showTab(w, 'samples');
  assert.equal(await w.page.locator('.thumb').count(), result.samples.length);
  assert.deepEqual(await w.cspViolations(), []);
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('the drop toggle and the k slider change what every view shows', async () => {
  const w = await openAnalysis('light');
  await showTab(w, 'curves');
  const before = await summary(w, '#chart-curves');
  assert.equal(before.drop, 'zero');
  const noteZero = await w.page.textContent('.k-note');
  await w.page.click('vscode-radio[value="renorm"]');
  await w.page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { dataset: Record<string, string> } | null } }).document.querySelector('.content')?.dataset.drop === 'renorm');
  assert.equal((await summary(w, '#chart-curves')).drop, 'renorm');
  assert.notEqual(await w.page.textContent('.k-note'), noteZero, 'the figures at k follow the drop mode');
  assert.match(await w.page.textContent('.curve-table caption') ?? '', /renorm/);

  const k0 = Number(await w.page.getAttribute('.content', 'data-k'));
  await w.page.focus('#k-slider');
  await w.page.keyboard.press('ArrowRight');
  await w.page.keyboard.press('ArrowRight');
  const k1 = Number(await w.page.getAttribute('.content', 'data-k'));
  assert.equal(k1, k0 + 2);
  assert.equal((await summary(w, '#chart-curves')).k, k1);
  assert.match(await w.page.textContent('.k-label') ?? '', new RegExp(`k = ${k1} of 16`));
  await w.page.screenshot({ path: `${SHOTS}/light-curves-renorm.png` });
  // The other views pick the new k up when shown.
  await showTab(w, 'specialisation');
  assert.equal((await summary(w, '#chart-per-class')).k, k1);
  await showTab(w, 'overview');
  assert.match(await w.page.textContent('.stats') ?? '', new RegExp(`At k = ${k1} \\(renorm\\)`));
  await w.page.close();
});

test('selecting a sample opens its drill-down with one overlay per kept expert, and the k slider updates it', async () => {
  const w = await openAnalysis('dark');
  await showTab(w, 'samples');
  await w.page.click('.thumb[data-index="2"]');
  await w.page.waitForSelector('.sample-detail[data-sample="2"]');
  const k = Number(await w.page.getAttribute('.content', 'data-k'));
  assert.equal(await w.page.locator('.overlay').count(), k);
  const combine = await summary(w, '#chart-sample-combine');
  assert.deepEqual(combine.selected, result.samples[2].layers[0].ranking.slice(0, k));
  assert.equal(await w.page.locator('.chip').count(), 16);
  assert.equal(await w.page.locator('.chip.current').count(), 1);
  await w.page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
  await w.page.screenshot({ path: `${SHOTS}/dark-samples.png`, fullPage: true });
  await w.page.focus('#k-slider');
  await w.page.keyboard.press('Home');
  assert.equal(await w.page.locator('.overlay').count(), 1);
  // Keyboard: the tiles are buttons.
  await w.page.focus('.thumb[data-index="5"]');
  await w.page.keyboard.press('Enter');
  await w.page.waitForSelector('.sample-detail[data-sample="5"]');
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('state is saved with setState and a reloaded panel comes back where it was', async () => {
  const w = await openAnalysis('light');
  await showTab(w, 'samples');
  await w.page.click('vscode-radio[value="renorm"]');
  await w.page.click('.thumb[data-index="3"]');
  await w.page.waitForSelector('.sample-detail[data-sample="3"]');
  const saved = await w.savedState();
  assert.ok(saved);
  assert.equal(saved.tab, 'samples');
  assert.equal(saved.drop, 'renorm');
  assert.equal(saved.sample, 3);
  assert.deepEqual(saved.restore, { kind: 'analysis', cacheKey: CACHE_KEY });
  await w.page.close();

  const again = await openAnalysis('light', saved);
  assert.equal(await again.page.getAttribute('.content', 'data-tab'), 'samples');
  assert.equal(await again.page.getAttribute('.content', 'data-drop'), 'renorm');
  await again.page.waitForSelector('.sample-detail[data-sample="3"]');
  await again.page.close();
});

test('dark and high-contrast themes draw the charts in the theme colours', async () => {
  for (const theme of ['dark', 'high-contrast'] as const) {
    const w = await openAnalysis(theme);
    await showTab(w, 'curves');
    await summary(w, '#chart-curves');
    const fills = await w.page.$$eval('#chart-curves svg text', (els) => els.map((e) => e.getAttribute('fill') ?? ''));
    const expected = theme === 'dark' ? '#9d9d9d' : '#ffffffb3';
    assert.ok(fills.some((f) => f.toLowerCase() === expected), `${theme}: axis labels in descriptionForeground (${fills.slice(0, 5).join(', ')})`);
    await w.page.screenshot({ path: `${SHOTS}/${theme}-curves.png` });
    await w.page.close();
  }
});

test('a protocol version mismatch shows an error instead of the views', async () => {
  const w = await openWebview(browser, 'light');
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION + 1, view: { kind: 'analysis', result, cacheKey: null, fromCache: false } });
  await w.page.waitForSelector('.banner.error');
  assert.match(await w.page.textContent('.banner') ?? '', /reload the window/);
  assert.equal(await w.page.$('.app-header'), null);
  await w.page.close();
});
