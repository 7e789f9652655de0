/**
 * Issue 13 in a real VS Code (code-server 4.100.3, the packaged extension): analysis panels share one column and
 * are titled by their run's folder; a second Analyze of a running analysis joins it; Compare Runs compares the
 * readable runs and lists the unreadable one; a dataset the checkpoint's header rules out is refused at once with
 * "Choose Dataset…". Screenshots: test-results/e2e/panels-*.png.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { paperMnistBytes } from '../helpers/paperMnistCheckpoint';
import { E2eSession, useSession } from './harness/session';
import { contextMenu, editorTab, explorerRow, recordToasts, recordedToasts, toast, webviewFrame } from './harness/workbench';
import { cachedResults } from './harness/workspace';

describe('Panels in code-server: columns, joined runs, partial comparisons, header-first dataset checks', { timeout: 600_000 }, () => {
  const s = new E2eSession({
    name: 'panels',
    runs: ['n2', 'n4', 'n16'],
    // Slow enough (small batches, many trials) that a second click lands while the first analysis runs.
    settings: { 'softmoeInspector.batchSize': 16, 'softmoeInspector.randomTrials': 100 },
    files: {
      'saved/broken.softmoe.json': 'this is not JSON',
      // The paper's MNIST layout predicting 1000 classes (a few KiB of zeros): the demo set's 10 classes cannot fit it.
      'wrong/model.safetensors': paperMnistBytes({ d: 196, n: 2, h: 4, classes: 1000, tokens: 4 }),
    },
  });
  const log = (): string => {
    const f = s.server?.vscodeLogFiles().find((x) => /Soft MoE/.test(x));
    return f ? readFileSync(f, 'utf8') : '';
  };
  const groups = (): Promise<number> => s.page.locator('.part.editor .editor-group-container').count();

  useSession(s);

  it('two analyses open as two tabs of one column, titled by their run folders, naming the embedded dataset', { timeout: 200_000 }, async () => {
    await s.step('one-column', async () => {
      await contextMenu(s.page, await explorerRow(s.page, 'n16/ep4_moe.safetensors'), 'Analyze Experts');
      const first = await webviewFrame(s.page, '.content[data-tab]', { text: 'n16/ep4_moe.safetensors', timeout: 150_000 });
      assert.match(await first.locator('.app-header h1').innerText(), /^n16\/ep4_moe\.safetensors · Fashion-MNIST demo subset/);
      const after1 = await groups();
      await contextMenu(s.page, await explorerRow(s.page, 'n4/ep4_moe.safetensors'), 'Analyze Experts');
      await webviewFrame(s.page, '.content[data-tab]', { text: 'n4/ep4_moe.safetensors', timeout: 150_000 });
      assert.equal(await groups(), after1, 'the second analysis opened a new editor group');
      for (const run of ['n16', 'n4']) assert.equal(await editorTab(s.page, `Experts: ${run}/ep4_moe.safetensors`).count(), 1, `no tab "Experts: ${run}/ep4_moe.safetensors"`);
      await s.shot('one-column');
    });
  });

  it('a second Analyze of a checkpoint being analysed joins that run: one progress, one worker job, one cached result', { timeout: 200_000 }, async () => {
    await s.step('join', async () => {
      const cachedBefore = cachedResults(s.dirs.userDataDir).length;
      await recordToasts(s.page);
      await contextMenu(s.page, await explorerRow(s.page, 'n2/ep4_moe.safetensors'), 'Analyze Experts');
      await toast(s.page, 'Analyzing experts of n2/ep4_moe.safetensors').waitFor({ timeout: 60_000 });
      await contextMenu(s.page, await explorerRow(s.page, 'n2/ep4_moe.safetensors'), 'Analyze Experts');
      await toast(s.page, 'already being analyzed').waitFor({ timeout: 30_000 });
      await s.shot('joined');
      await webviewFrame(s.page, '.content[data-tab]', { text: 'n2/ep4_moe.safetensors', timeout: 150_000 });
      const started = log().split('\n').filter((l) => /\banalyze \S*n2\/ep4_moe\.safetensors with /.test(l));
      assert.equal(started.length, 1, `the analysis ran ${started.length} times:\n${started.join('\n')}`);
      assert.match(log(), /n2\/ep4_moe\.safetensors: already being analyzed with the same settings; joining that run/);
      assert.equal(cachedResults(s.dirs.userDataDir).length, cachedBefore + 1);
      const progress = (await recordedToasts(s.page)).filter((t) => /Analyzing experts of n2/.test(t) && /Cancel/.test(t));
      assert.ok(progress.length >= 1, 'no progress notification');
      assert.equal(await editorTab(s.page, 'Experts: n2/ep4_moe.safetensors').count(), 1, 'one panel for the run');
    });
  });

  it('Compare Runs compares the readable runs and lists the unreadable file with its reason', { timeout: 200_000 }, async () => {
    await s.step('compare-partial', async () => {
      await recordToasts(s.page);
      await explorerRow(s.page, 'saved/broken.softmoe.json');
      const a = await explorerRow(s.page, 'n2/ep4_moe.safetensors');
      await a.click();
      await (await explorerRow(s.page, 'n4/ep4_moe.safetensors')).click({ modifiers: ['Control'] });
      await (await explorerRow(s.page, 'saved/broken.softmoe.json')).click({ modifiers: ['Control'] });
      await s.page.locator('.explorer-folders-view .monaco-list-row.selected').nth(2).waitFor();
      await contextMenu(s.page, await explorerRow(s.page, 'saved/broken.softmoe.json'), 'Compare Runs');
      const frame = await webviewFrame(s.page, '#chart-compare-curves[data-drawn="true"]', { timeout: 150_000 });
      const banner = await frame.locator('.skipped-runs').innerText();
      assert.match(banner, /1 run left out/);
      assert.match(banner, /broken\.softmoe\.json — broken\.softmoe\.json is not JSON/);
      const heads = await frame.locator('#compare-summary thead th').allInnerTexts();
      assert.deepEqual(heads, ['Figure', 'n2/ep4_moe.safetensors', 'n4/ep4_moe.safetensors']);
      assert.ok((await recordedToasts(s.page)).some((t) => /Compare Runs left out 1 run/.test(t)), 'no warning names the file left out');
      await s.shot('compare-partial');
    });
  });

  it('a dataset the checkpoint header rules out is refused before loading, with "Choose Dataset…"', { timeout: 120_000 }, async () => {
    await s.step('choose-dataset', async () => {
      await contextMenu(s.page, await explorerRow(s.page, 'wrong/model.safetensors'), 'Analyze Experts');
      const error = toast(s.page, 'predicts 1000');
      await error.waitFor({ timeout: 60_000 });
      assert.match(await error.innerText(), /model\.safetensors: dataset .* has 10 classes but the model predicts 1000/);
      await s.page.waitForTimeout(400); // the toast fades in
      await s.shot('choose-dataset');
      await error.getByRole('button', { name: 'Choose Dataset…' }).click();
      const pick = s.page.locator('.quick-input-widget', { hasText: 'Dataset for Analyze Experts' });
      await pick.waitFor({ timeout: 15_000 });
      assert.match(await pick.locator('input').getAttribute('placeholder') ?? '', /remembered for the folder wrong/);
      await s.page.keyboard.press('Escape');
      assert.doesNotMatch(log(), /wrong\/model\.safetensors done in/);
    });
  });
});
