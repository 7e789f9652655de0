/**
 * The reproduction's pictures, drawn by the tool's own report renderer: one comparison report of the suite and one
 * of n = 16 over training (standalone HTML), plus a PNG of each taken in headless Chromium.
 * Usage: node --import tsx scripts/repro/report.ts docs/reproduction
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { AnalysisResult } from '../../src/core/analysis/schema';
import { buildStandaloneComparisonReport, buildStandaloneReport } from '../../src/core/report/buildStandaloneReport';

const dir = resolve(process.argv[2] ?? 'docs/reproduction');
const webviewJs = readFileSync(resolve('dist/webview.js'), 'utf8');
const load = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as AnalysisResult;
const num = (s: string) => Number(/\d+/.exec(s)?.[0]);

const suite = readdirSync(dir).filter((f) => /^n\d+\.softmoe\.json$/.test(f)).sort((a, b) => num(a) - num(b));
const epochs = readdirSync(dir).filter((f) => /^n16-ep\d+\.softmoe\.json$/.test(f)).sort((a, b) => num(a.slice(3)) - num(b.slice(3)));
const pages = [
  { name: 'suite', html: buildStandaloneComparisonReport({ mode: 'runs', title: 'Fashion-MNIST, the paper\'s suite after 15 epochs', runs: suite.map((f) => ({ label: `n${num(f)}`, result: load(f) })) }, webviewJs) },
  { name: 'training-n16', html: buildStandaloneComparisonReport({ mode: 'training', title: 'n = 16 over training', runs: epochs.map((f) => ({ label: `epoch ${num(f.slice(3))}`, epoch: num(f.slice(3)), result: load(f) })) }, webviewJs) },
];
async function main(): Promise<void> {
  const browser = await chromium.launch({
    executablePath: process.env.SOFTMOE_CHROMIUM ?? '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    // The subset-accuracy chart of single models with every selector: the oracle's chance line, token and expert
    // choice, and the global subset (renorm drop, what a pruned checkpoint computes). n = 16 and 64 where their
    // analyses have these selectors, else the largest model whose analysis has them.
    const full = suite.filter((f) => load(f).globalSelection);
    const wanted = full.filter((f) => [16, 64].includes(num(f)));
    for (const f of wanted.length ? wanted : full.slice(-1)) {
      const n = num(f);
      const file = join(dir, `n${n}-curves.html`);
      writeFileSync(file, buildStandaloneReport(load(f), webviewJs));
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${file}`);
      await page.click('vscode-tab-header[data-tab="curves"]');
      await page.click('vscode-radio[value="renorm"]');
      await page.waitForSelector('#chart-curves[data-drawn="true"]');
      await page.waitForTimeout(800);
      await (await page.$('.view.curves'))?.screenshot({ path: join(dir, `n${n}-curves.png`) });
      await page.close();
      console.log(`${join(dir, `n${n}-curves.png`)} written`);
    }
    for (const p of pages) {
      const file = join(dir, `${p.name}.html`);
      writeFileSync(file, p.html);
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`file://${file}`);
      await page.waitForTimeout(1500);
      await page.screenshot({ path: join(dir, `${p.name}.png`), fullPage: true });
      await page.close();
      console.log(`${file} and .png written`);
    }
  } finally {
    await browser.close();
  }
}

void main();
