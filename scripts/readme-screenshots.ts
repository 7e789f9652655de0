// Retakes README's screenshots (media/screenshots/*.png) from real analyses of the embedded demo suite, rendered by
// the built webview bundle in headless Chromium (Debian's chromium), driven with the keyboard like a user:
//   subset-accuracy-demo.png     n = 16 on all 2,000 demo images, k = 4, both drop modes, heuristic/random/oracle
//   samples-dark.png             the same analysis, the Samples drill-down of one input, dark theme
//   compare-light.png            Compare Runs: n = 4 against n = 16
//   checkpoint-editor-light.png  the checkpoint editor on the n = 16 checkpoint
//   oracle-chance-light.png      the oracle with its chance level, token/expert choice and the global selector, k = 4,
//                                zero drop: test/fixtures/webview/analysis-science-n16.json (a real analysis of the
//                                n = 16 demo model on 2,000 Fashion-MNIST test images, make_science_fixture.sh)
//   global-prune-dark.png        the same analysis, k = 6, renorm drop: the global subset and Prune Experts…
// About a minute on 2 cores.   npm run build && npx tsx scripts/readme-screenshots.ts [name …]   (names: only those)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { analyzeCheckpoint } from '../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../src/core/analysis/finalize';
import type { AnalysisResult } from '../src/core/analysis/schema';
import { PROTOCOL_VERSION } from '../src/core/protocol/webviewProtocol';
import type { ViewModel } from '../src/core/protocol/webviewProtocol';
import { DEMO_DATASET_NAME } from '../src/extension/datasetSetting';
import { buildCheckpointSummary } from '../src/worker/buildCheckpointSummary';
import { launch, openWebview } from '../test/webview/harness';
import type { Theme } from '../test/webview/harness';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'media', 'screenshots');
const DATA = join(ROOT, 'media', 'demo', 'data');
const model = (n: number): string => join(ROOT, 'media', 'demo', 'models', `n${n}`, 'ep4_moe.safetensors');

async function analyse(n: number): Promise<AnalysisResult> {
  const r = finalizeResult(await analyzeCheckpoint(model(n), DATA, {
    drops: ['zero', 'renorm'], selectors: ['heuristic', 'random', 'oracle'], samples: 24, skipUnsupportedSelectors: true,
  }));
  // As the extension names the embedded set.
  r.dataset.name = DEMO_DATASET_NAME;
  r.checkpoint.path = r.checkpoint.path.replace(`${ROOT}/media/demo/models/`, '/home/me/runs/');
  r.dataset.path = r.dataset.path.replace(`${ROOT}/`, '/home/me/softmoe-inspector/');
  return r;
}

async function tabTo(page: Page, tab: string): Promise<void> {
  await page.click(`vscode-tab-header[data-tab="${tab}"]`);
  await page.waitForSelector(`.content[data-tab="${tab}"]`);
}

/** k = `k` with the keyboard: Home, then → (k − 1) times. */
async function setK(page: Page, k: number): Promise<void> {
  await page.focus('#k-slider');
  await page.keyboard.press('Home');
  for (let i = 1; i < k; i++) await page.keyboard.press('ArrowRight');
  await page.waitForSelector(`.content[data-k="${k}"]`);
}

const only = process.argv.slice(2);
const wanted = (name: string): boolean => only.length === 0 || only.includes(name);

async function main(): Promise<void> {
  const browser = await launch();
  const open = async (view: ViewModel, theme: Theme, width: number, height: number): Promise<Page> => {
    const w = await openWebview(browser, theme, null, { width, height });
    await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view });
    await w.page.waitForSelector('.app-header h1');
    return w.page;
  };
  try {
    const science = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'webview', 'analysis-science-n16.json'), 'utf8')) as AnalysisResult;
    for (const [name, theme, state] of [
      ['oracle-chance-light', 'light', { tab: 'curves', k: 4, drop: 'zero' }],
      ['global-prune-dark', 'dark', { tab: 'curves', k: 6, drop: 'renorm' }],
    ] as const) {
      if (!wanted(name)) continue;
      const w = await openWebview(browser, theme, state, { width: 1180, height: 980 });
      await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'analysis', result: science, cacheKey: 'd'.repeat(40), fromCache: true } });
      await w.page.waitForSelector('#chart-curves[data-drawn="true"]');
      await w.page.screenshot({ path: join(OUT, `${name}.png`) });
      await w.page.close();
    }
    if (!['subset-accuracy-demo', 'samples-dark', 'compare-light', 'checkpoint-editor-light'].some(wanted)) return;
    const n16 = await analyse(16);
    const n4 = await analyse(4);
    const analysis: ViewModel = { kind: 'analysis', result: n16, cacheKey: 'a'.repeat(40), fromCache: false };
    let page: Page;
    if (wanted('subset-accuracy-demo')) {
      page = await open(analysis, 'light', 1200, 860);
      await setK(page, 4);
      await tabTo(page, 'curves');
      await page.waitForSelector('#chart-curves[data-drawn="true"]');
      await page.screenshot({ path: join(OUT, 'subset-accuracy-demo.png') });
      await page.close();
    }
    if (wanted('samples-dark')) {
      page = await open(analysis, 'dark', 1180, 1150);
      await setK(page, 4);
      await tabTo(page, 'samples');
      const tile = n16.samples.find((s) => s.predictionAtK['4'] !== s.label) ?? n16.samples[0];
      await page.focus(`.thumb[data-index="${tile?.index}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`.sample-detail[data-sample="${tile?.index}"]`);
      await page.waitForSelector('#chart-sample-combine[data-drawn="true"]');
      await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
      await page.screenshot({ path: join(OUT, 'samples-dark.png') });
      await page.close();
    }
    if (wanted('compare-light')) {
      const strip = (r: AnalysisResult): AnalysisResult => ({ ...r, samples: [] });
      page = await open({
        kind: 'comparison', mode: 'runs', title: 'Compare: n4/ep4_moe.safetensors · n16/ep4_moe.safetensors',
        runs: [{ label: 'n4/ep4_moe.safetensors', result: strip(n4), source: { kind: 'none' } }, { label: 'n16/ep4_moe.safetensors', result: strip(n16), source: { kind: 'none' } }],
      }, 'light', 1280, 1290);
      await page.waitForSelector('#chart-compare-curves[data-drawn="true"]');
      await page.screenshot({ path: join(OUT, 'compare-light.png') });
      await page.close();
    }
    if (wanted('checkpoint-editor-light')) {
      const summary = await buildCheckpointSummary(model(16));
      page = await open({ kind: 'checkpoint', summary: { ...summary, path: summary.path.replace(`${ROOT}/media/demo/models/`, '/home/me/runs/') } }, 'light', 1180, 900);
      await page.waitForSelector('#chart-phi-0[data-drawn="true"]');
      await page.waitForSelector('#chart-norms-0[data-drawn="true"]');
      await page.screenshot({ path: join(OUT, 'checkpoint-editor-light.png') });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  console.log(`wrote the screenshots in ${OUT}`);
}

void main();
