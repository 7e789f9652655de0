/**
 * The packaged extension in a real VS Code (code-server 4.100.3), driven like a user would: install the .vsix,
 * open a demo checkpoint, Analyze Experts from the explorer, compare two runs, reload the window.
 * Screenshots of every step: test-results/e2e/analyze-*.png.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { E2eSession, useSession, EXTENSION_ID } from './harness/session';
import { ROOT } from './harness/paths';
import { vsixEntries } from './harness/vsixEntries';
import { contextMenu, editorTab, explorerRow, recordToasts, recordedToasts, runCommand, waitForWorkbench, webviewFrame } from './harness/workbench';
import { cachedResults } from './harness/workspace';

/** The run analysed: n16 of the demo suite, so the curves hold one point for each k = 1…16. */
const RUN = 'n16';
const EXPERTS = 16;
const CHECKPOINT = `${RUN}/ep4_moe.safetensors`;

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { contributes?: { commands?: Array<{ command: string }> } };
const hasCompare = (manifest.contributes?.commands ?? []).some((c) => c.command === 'softmoe.compareRuns');

interface ChartSummary {
  drop: string;
  xAxis: string;
  series: Array<{ selector: string; points: number }>;
}

/** Whether the package built for this platform carries ONNX Runtime (scripts/package.mjs; onnxruntime-node installed). */
const ORT_SHIPPED = existsSync(join(ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch, 'onnxruntime_binding.node'));

describe('Soft MoE Inspector in code-server', { timeout: 360_000 }, () => {
  const s = new E2eSession({ name: 'analyze', runs: ['n2', RUN] });
  let analysed = false;

  useSession(s);

  it('installs the packaged .vsix into a fresh extensions folder', async () => {
    assert.match(s.installedList, new RegExp(`^${EXTENSION_ID.replace('.', '\\.')}@`, 'mi'));
    const vsix = s.vsix?.vsix ?? '';
    const entries = await vsixEntries(vsix);
    for (const f of ['extension/package.json', 'extension/dist/extension.js', 'extension/dist/worker.js', 'extension/dist/webview.js']) {
      assert.ok(entries.includes(f), `${f} is not in the .vsix`);
    }
    assert.ok(entries.some((e) => /^extension\/dist\/.*\.wasm$/.test(e)), 'no wasm binary in the .vsix');
    const leaked = entries.filter((e) => /^extension\/(src|test|webview|node_modules|scripts)\//.test(e) || e.endsWith('.ts') || e.endsWith('.map'));
    assert.deepEqual(leaked, [], 'sources, tests or source maps are packaged');
    // A platform package carries that platform's ONNX Runtime binary beside the bundle, and no other platform's.
    const binaries = entries.filter((e) => e.endsWith('onnxruntime_binding.node'));
    const mine = `extension/dist/node_modules/onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`;
    if (ORT_SHIPPED) assert.deepEqual(binaries, [mine], 'the .vsix carries exactly this platform\'s ONNX Runtime');
    const limit = (binaries.length ? 40 : 20) * 1024 * 1024;
    assert.ok(statSync(vsix).size < limit, `the .vsix is ${statSync(vsix).size} bytes (limit ${limit / 2 ** 20} MB)`);
  });

  it('opens a checkpoint in the custom editor, which shows its Soft MoE layer', { timeout: 120_000 }, async () => {
    await s.step('open-checkpoint', async () => {
      const row = await explorerRow(s.page, CHECKPOINT);
      // Until the workbench has the extension's contributions, a click opens the file in the text editor instead of
      // the checkpoint editor; its explorer menu entry shows when they are there.
      await contextMenu(s.page, row, 'Analyze Experts', 60_000, false);
      await row.click();
      const frame = await webviewFrame(s.page, 'section.layer', { text: 'Soft MoE layers' });
      const layer = await frame.locator('section.layer').first().innerText();
      assert.match(layer, new RegExp(`\\b${EXPERTS} experts\\b`), `the layer section says: ${layer}`);
      await frame.locator('#chart-phi-0[data-drawn="true"]').waitFor();
      await frame.locator('#chart-norms-0[data-drawn="true"]').waitFor();
      const norms = JSON.parse(await frame.locator('#chart-norms-0').getAttribute('data-summary') ?? '{}') as { experts?: number };
      assert.equal(norms.experts, EXPERTS, 'one weight-norm bar per expert');
      await s.shot('checkpoint-editor');
    });
  });

  it('Analyze Experts from the explorer shows progress, then the subset-accuracy chart with one point per k', { timeout: 150_000 }, async () => {
    await s.step('analyze', async () => {
      await recordToasts(s.page);
      const row = await explorerRow(s.page, CHECKPOINT);
      await contextMenu(s.page, row, 'Analyze Experts');
      // The run takes a few seconds: screenshot the toast once it shows a percentage, if it is still there then.
      const progress = s.page.locator('.notification-toast', { hasText: /Analyzing experts.*\d+%/ });
      if (await progress.waitFor({ timeout: 10_000 }).then(() => true, () => false)) {
        await s.page.waitForTimeout(400); // the toast fades in
        await s.shot('analyze-progress').catch(() => undefined);
      }
      const frame = await webviewFrame(s.page, '.content[data-tab]', { text: 'Subset accuracy', timeout: 120_000 });
      const toasts = await recordedToasts(s.page);
      assert.ok(toasts.some((t) => /Analyzing experts of n16\/ep4_moe\.safetensors/.test(t) && /\d+%/.test(t)),
        `no progress notification with a percentage was seen; toasts seen: ${JSON.stringify(toasts)}`);
      assert.ok(toasts.some((t) => /Cancel/.test(t)), `the progress notification has no Cancel button; toasts seen: ${JSON.stringify(toasts)}`);
      await s.shot('analysis-overview');
      if (ORT_SHIPPED) {
        // The packaged extension computes with the ONNX Runtime it carries.
        const facts = await frame.locator('.view.overview dl.facts').innerText();
        assert.match(facts, /onnxruntime/, `the Overview does not name ONNX Runtime: ${facts}`);
      }
      await frame.locator('vscode-tab-header[data-tab="curves"]').click();
      await frame.locator('.content[data-tab="curves"]').waitFor();
      const chart = frame.locator('#chart-curves[data-drawn="true"]');
      await chart.waitFor();
      assert.ok(await chart.locator('canvas, svg').count() > 0, 'the chart drew nothing');
      const summary = JSON.parse(await chart.getAttribute('data-summary') ?? '{}') as ChartSummary;
      const selectors = summary.series.map((x) => x.selector);
      for (const sel of ['heuristic', 'random']) assert.ok(selectors.includes(sel), `no ${sel} curve; curves: ${selectors.join(', ')}`);
      for (const series of summary.series) assert.equal(series.points, EXPERTS, `${series.selector}: one point per k = 1…${EXPERTS}`);
      await s.shot('subset-accuracy');
      assert.equal(cachedResults(s.dirs.userDataDir).length, 1, 'the result was not cached in workspace storage');
      analysed = true;
    });
  });

  it('Compare Runs on two selected checkpoints shows both runs', { timeout: 150_000, todo: hasCompare ? false : 'waiting for Compare Runs (softmoe.compareRuns is not contributed yet)' }, async () => {
    if (!hasCompare) return;
    await s.step('compare', async () => {
      // Rows are located after n2 is expanded (expanding moves the rows below it). The n16 checkpoint is open
      // already; Ctrl+click adds n2 to the selection without opening it.
      await explorerRow(s.page, 'n2/ep4_moe.safetensors');
      const b = await explorerRow(s.page, CHECKPOINT);
      await b.click();
      const a = await explorerRow(s.page, 'n2/ep4_moe.safetensors');
      await a.click({ modifiers: ['Control'] });
      await s.page.locator('.explorer-folders-view .monaco-list-row.selected').nth(1).waitFor();
      const selected = await s.page.locator('.explorer-folders-view .monaco-list-row.selected').count();
      assert.equal(selected, 2, `${selected} explorer rows are selected, not the two checkpoints`);
      await contextMenu(s.page, b, 'Compare Runs');
      // The n2 run was never analysed: it runs now (n16 comes from the cache), then the panel opens.
      const frame = await webviewFrame(s.page, '#chart-compare-curves[data-drawn="true"]', { timeout: 120_000 });
      const overlay = JSON.parse(await frame.locator('#chart-compare-curves').getAttribute('data-summary') ?? '{}') as { series?: Array<{ label: string; selector: string; points: number }> };
      const heuristic = (overlay.series ?? []).filter((x) => x.selector === 'heuristic');
      assert.equal(heuristic.length, 2, `the overlay should hold one heuristic curve per run: ${JSON.stringify(overlay)}`);
      for (const run of ['n2', RUN]) {
        const curve = heuristic.find((x) => x.label.split('/')[0] === run);
        assert.ok(curve, `no heuristic curve for run ${run}: ${JSON.stringify(overlay)}`);
        assert.equal(curve.points, Number(run.slice(1)), `run ${run}: one point per k`);
      }
      const headers = await frame.locator('#compare-summary thead th').allInnerTexts();
      assert.equal(headers.length, 3, `the summary table should have a label column and one column per run: ${headers.join(' | ')}`);
      for (const run of ['n2', RUN]) assert.ok(headers.some((h) => h.split('/')[0] === run), `no summary column for ${run}: ${headers.join(' | ')}`);
      assert.ok(await frame.locator('#compare-summary tbody tr').count() > 3, 'the summary table has (almost) no rows');
      assert.equal(cachedResults(s.dirs.userDataDir).length, 2, 'the n2 analysis run for the comparison was not cached');
      await s.shot('compare-runs');
      await frame.locator('#compare-summary').scrollIntoViewIfNeeded();
      await s.shot('compare-summary');
    });
  });

  it('the analysis panel comes back after a window reload (serializer)', { timeout: 150_000 }, async (t) => {
    if (!analysed) {
      t.skip('needs the panel of the analyze test');
      return;
    }
    await s.step('reload', async () => {
      // Close the checkpoint editors first: when two webviews are revived at once at start-up, code-server
      // 4.100.3 sometimes leaves one of them blank (see the report); the panels' serializers are tested here.
      for (let tab = editorTab(s.page, 'ep4_moe.safetensors'); await tab.count() > 0;) {
        await tab.first().hover();
        await tab.first().locator('.tab-actions .action-label').click();
      }
      await runCommand(s.page, 'Developer: Reload Window');
      await s.page.waitForEvent('load', { timeout: 60_000 });
      await waitForWorkbench(s.page);
      if (hasCompare) {
        // Compare Runs opened its panel over the analysis panel: it is the one shown after the reload.
        const compare = await webviewFrame(s.page, '#chart-compare-curves[data-drawn="true"]', { timeout: 60_000 });
        assert.ok(JSON.parse(await compare.locator('#chart-compare-curves').getAttribute('data-summary') ?? '{}').series?.length > 0);
        await s.shot('comparison-restored-after-reload');
        await editorTab(s.page, `Experts: ${CHECKPOINT}`).click();
      }
      const frame = await webviewFrame(s.page, '.content[data-tab="curves"] #chart-curves[data-drawn="true"]', { timeout: 60_000 });
      const summary = JSON.parse(await frame.locator('#chart-curves').getAttribute('data-summary') ?? '{}') as ChartSummary;
      assert.ok(summary.series.length > 0, 'the restored chart has no curves');
      assert.ok(await editorTab(s.page, `Experts: ${CHECKPOINT}`).count() > 0, `no "Experts: ${CHECKPOINT}" tab after the reload`);
      await s.shot('restored-after-reload');
    });
  });
});
