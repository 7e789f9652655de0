/**
 * No English is hard-coded in the panels: under a pseudo-locale (every string of l10n/bundle.l10n.json turned into
 * accented look-alikes of its letters, as VS Code's own pseudo-localisation makes every translated string stand out), the checkpoint
 * editor, every tab of the analysis panel (with a sample drilled into) and both comparison modes show no word of
 * plain ASCII letters except what comes from the data itself (file, dataset, layer, class and tensor names,
 * layouts, selectors…), format names and byte units. Text nodes (charts are SVG, so their axis names, legends and
 * labels are text nodes too) and the accessible names, titles and placeholders of every element are checked.
 * Screenshots: test-results/webview/pseudo-*.png.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import type { CheckpointSummary } from '../../src/core/protocol/checkpointSummary';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import type { ComparisonRun, ViewModel } from '../../src/core/protocol/webviewProtocol';
import { ROOT, SHOTS, fixture, launch, openWebview } from './harness';
import type { WebviewPage } from './harness';

/** Each ASCII letter's accented look-alike: a pseudo-localised string stays readable but holds no ASCII word. */
const ACCENTED = [...'ÅƁÇĐÉƑĜĤÎĴĶĹṀŃÖƤɊŘŠŤÜṼŴẊÝŽåƀçđéƒĝĥîĵķĺɱńöƥʠŕšţüṽŵẋýž'];
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** ASCII letters → accented ones, outside `{0}` placeholders. */
export function pseudo(s: string): string {
  return s.split(/(\{[^}]*\})/).map((part, i) => (i % 2 ? part : part.replace(/[A-Za-z]/g, (c) => ACCENTED[LETTERS.indexOf(c)] as string))).join('');
}

const english = JSON.parse(readFileSync(join(ROOT, 'l10n', 'bundle.l10n.json'), 'utf8')) as Record<string, string | { message: string }>;
const PSEUDO = Object.fromEntries(Object.entries(english).map(([k, v]) => [k, pseudo(typeof v === 'string' ? v : v.message)]));

/** Names that are the same in every language. */
const UNIVERSAL = new Set(['png', 'svg', 'csv', 'json', 'kib', 'mib', 'gib', 'tib']);

/** Every word of every string in `v` (the data the panel shows: names, paths, layouts, selectors, classes…). */
function dataWords(v: unknown, out = new Set<string>()): Set<string> {
  if (typeof v === 'string') for (const w of v.match(/[A-Za-z]+/g) ?? []) out.add(w.toLowerCase());
  else if (Array.isArray(v)) for (const x of v) dataWords(x, out);
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { dataWords(k, out); dataWords(x, out); }
  return out;
}

/** The text the page shows (text nodes, SVG included) and the accessible names, titles and placeholders. */
async function shownText(w: WebviewPage): Promise<string[]> {
  return w.page.evaluate(`(() => {
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const p = n.parentElement;
      if (p && (p.closest('script, style') || p.closest('[hidden]'))) continue;
      const t = n.textContent.trim();
      if (t) out.push(t);
    }
    for (const el of document.body.querySelectorAll('*')) {
      for (const a of ['aria-label', 'title', 'placeholder', 'aria-valuetext', 'label']) {
        const v = el.getAttribute(a);
        if (v && v.trim()) out.push(v.trim());
      }
    }
    return out;
  })()`);
}

/** Lines of shown text with an ASCII word that is not data: hard-coded English. */
function englishLeft(texts: string[], allowed: Set<string>): string[] {
  return [...new Set(texts.filter((t) => (t.match(/[A-Za-z]{2,}/g) ?? []).some((w) => !allowed.has(w.toLowerCase()) && !UNIVERSAL.has(w.toLowerCase()))))];
}

let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function open(view: ViewModel, width = 1280): Promise<WebviewPage> {
  const w = await openWebview(browser, 'light', null, { width, height: 900 }, { l10n: PSEUDO });
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view });
  return w;
}

async function check(w: WebviewPage, data: unknown, where: string, texts: string[]): Promise<void> {
  const left = englishLeft(texts, dataWords(data));
  assert.deepEqual(left, [], `${where}: English left under the pseudo-locale`);
  assert.deepEqual(w.errors, [], `${where}: page errors`);
}

test('the pseudo-locale: every string of the bundle in accented look-alikes, placeholders kept', () => {
  assert.equal(pseudo('Overview {0} k'), 'Öṽéŕṽîéŵ {0} ķ');
  assert.equal(ACCENTED.length, LETTERS.length);
  assert.ok(Object.keys(PSEUDO).length > 200, 'the bundle holds the webview strings');
});

test('checkpoint editor: no hard-coded English', async () => {
  const summary = fixture<CheckpointSummary>('checkpoint-n16.json');
  const w = await open({ kind: 'checkpoint', summary });
  await w.page.waitForSelector('#chart-norms-0[data-drawn="true"]');
  assert.match(await w.page.locator('h2').first().innerText(), /Šöƒţ/);
  await w.page.screenshot({ path: join(SHOTS, 'pseudo-checkpoint.png'), fullPage: true });
  await check(w, summary, 'checkpoint editor', await shownText(w));
  const failed = await open({ kind: 'checkpoint-error', path: '/w/x.pt', error: { code: 'E_CORRUPT', userMessage: 'x.pt: truncated' } });
  await failed.page.waitForSelector('.error-box');
  await check(failed, { path: '/w/x.pt', code: 'E_CORRUPT', m: 'x.pt: truncated' }, 'checkpoint error', await shownText(failed));
});

test('analysis panel, every tab and a sample: no hard-coded English', async () => {
  // analysis-science-n16.json: the oracle's chance level, token/expert choice, the global subset and Prune Experts….
  for (const name of ['analysis-n16.json', 'analysis-science-n16.json', 'demo-n8-tiny.json', 'vit-gray.json']) {
    const result = fixture<AnalysisResult>(name);
    const w = await open({ kind: 'analysis', result, cacheKey: 'c'.repeat(40), fromCache: true });
    await w.page.waitForSelector('.app-header h1');
    const texts = await shownText(w);
    // Every tab the panel has (read from the page, so a new tab is checked without editing this test).
    const tabs = await w.page.$$eval('vscode-tab-header[data-tab]', (els) => els.map((e) => e.getAttribute('data-tab') ?? '').filter((t) => t !== 'overview'));
    assert.ok(tabs.length >= 4, `tabs: ${tabs.join(', ')}`);
    for (const tab of tabs) {
      await w.page.click(`vscode-tab-header[data-tab="${tab}"]`);
      await w.page.waitForSelector(`.content [data-tab="${tab}"], [data-view="${tab}"] .view`);
      await w.page.waitForTimeout(150);
      if (tab === 'specialisation') {
        await w.page.locator('vscode-radio[value="selected"]').click();
        await w.page.waitForTimeout(100);
      }
      if (tab === 'samples' && result.samples.length) {
        await w.page.locator('.thumb').first().click();
        await w.page.waitForSelector('.sample-detail .detail-head');
      }
      texts.push(...await shownText(w));
    }
    await w.page.screenshot({ path: join(SHOTS, `pseudo-analysis-${name.replace('.json', '')}.png`), fullPage: true });
    await check(w, result, `analysis panel (${name})`, texts);
  }
});

test('comparison panel, runs and training: no hard-coded English', async () => {
  const run = (label: string, result: AnalysisResult, c: string, epoch?: number): ComparisonRun =>
    ({ label, result: { ...result, samples: [] }, source: { kind: 'cache', cacheKey: c.repeat(40) }, ...(epoch !== undefined ? { epoch } : {}) });
  const n4 = fixture<AnalysisResult>('compare-n4.json');
  const n16 = fixture<AnalysisResult>('compare-n16.json');
  const runs: ViewModel = {
    kind: 'comparison', mode: 'runs', title: 'n4 · n16', runs: [run('n4/ep4_moe.safetensors', n4, 'a'), run('n16/ep4_moe.safetensors', n16, 'b')],
    skipped: [{ label: 'n2/broken.pt', reason: 'broken.pt: truncated' }],
  };
  const w = await open(runs);
  await w.page.waitForSelector('#chart-compare-curves[data-drawn="true"]');
  const texts = await shownText(w);
  await w.page.click('#diff-only');
  texts.push(...await shownText(w));
  await w.page.screenshot({ path: join(SHOTS, 'pseudo-comparison.png'), fullPage: true });
  await check(w, runs, 'comparison panel (runs)', texts);
  // A run with the oracle's chance level, token/expert choice and the global subset: their summary rows.
  const science: ViewModel = {
    kind: 'comparison', mode: 'runs', title: 'n16 · science',
    runs: [run('n16/ep4_moe.safetensors', n16, 'b'), run('n16/science.safetensors', fixture<AnalysisResult>('analysis-science-n16.json'), 'c')],
  };
  const sc = await open(science);
  await sc.page.waitForSelector('#chart-compare-curves[data-drawn="true"]');
  const scienceTexts = await shownText(sc);
  assert.ok(scienceTexts.some((t) => /Ĝĺöƀåĺ/.test(t)), 'the global subset rows are shown');
  await check(sc, science, 'comparison panel (runs with the chance level and the global subset)', scienceTexts);
  const epochs = [1, 2, 3, 4].map((e) => run(`epoch ${e}`, fixture<AnalysisResult>(`training-ep${e}.json`), String(e), e));
  const training: ViewModel = { kind: 'comparison', mode: 'training', title: 'run n16', runs: epochs };
  const t = await open(training);
  await t.page.waitForSelector('#chart-training-accuracy[data-drawn="true"]');
  await check(t, training, 'comparison panel (training)', await shownText(t));
});
