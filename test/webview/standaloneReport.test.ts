import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import { buildStandaloneComparisonReport, buildStandaloneReport } from '../../src/core/report/buildStandaloneReport';
import { SHOTS, ensureBundle, fixture, launch } from './harness';

let browser: Browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the standalone report renders the same views offline under its own CSP', async () => {
  const result = fixture<AnalysisResult>('analysis-n16.json');
  const html = buildStandaloneReport(result, readFileSync(ensureBundle(), 'utf8'));
  for (const scheme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ viewport: { width: 1180, height: 900 }, colorScheme: scheme });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html);
    await page.waitForSelector('.app-header h1');
    assert.match(await page.textContent('.app-header h1') ?? '', /ep14_moe\.pt/);
    await page.click('vscode-tab-header[data-tab="curves"]');
    await page.waitForSelector('#chart-curves[data-drawn="true"]');
    const bg = await page.$eval('body', (body) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor);
    assert.equal(bg, scheme === 'light' ? 'rgb(255, 255, 255)' : 'rgb(31, 31, 31)');
    await page.screenshot({ path: `${SHOTS}/report-${scheme}.png` });
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('a comparison report renders the comparison offline, and its export buttons download instead of asking a host', async () => {
  const runs = ['compare-n4.json', 'compare-n16.json'].map((f, i) => ({ label: i === 0 ? 'n4' : 'n16', result: fixture<AnalysisResult>(f) }));
  const html = buildStandaloneComparisonReport({ mode: 'runs', title: 'Demo suite', runs }, readFileSync(ensureBundle(), 'utf8'));
  const page = await browser.newPage({ viewport: { width: 1180, height: 900 }, colorScheme: 'light', acceptDownloads: true });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('**/*', (route) => route.abort());
  await page.setContent(html);
  await page.waitForSelector('#chart-compare-curves[data-drawn="true"]');
  assert.equal(await page.textContent('.app-header h1'), 'Demo suite');
  assert.equal(await page.locator('.controls vscode-button[data-export="html"]').count(), 0, 'no report button in a report');
  const download = page.waitForEvent('download');
  await page.locator('.table-frame', { has: page.locator('#compare-summary') }).locator('vscode-button[data-export="csv"]').click();
  const d = await download;
  assert.equal(d.suggestedFilename(), 'Demo-suite-summary-table.csv', 'named after the comparison');
  const text = readFileSync(await d.path(), 'utf8');
  assert.equal(text.split('\n')[0], 'figure,n4,n16');
  await page.screenshot({ path: `${SHOTS}/report-compare-light.png`, fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});
