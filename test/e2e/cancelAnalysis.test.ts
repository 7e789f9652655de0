/**
 * Cancel in a real VS Code: an analysis made long on purpose (all 10,000 demo images, 1,000 random trials, every
 * selector) is started from the explorer and cancelled from its progress notification. It stops, no panel opens,
 * nothing is cached and no file in the workspace changes. Screenshots: test-results/e2e/cancel-*.png.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { E2eSession, useSession } from './harness/session';
import { contextMenu, countWebviews, explorerRow, recordToasts, recordedToasts, toast } from './harness/workbench';
import { cachedResults, snapshot } from './harness/workspace';

const CHECKPOINT = 'n16/ep4_moe.safetensors';

/** Minutes of work on two shared cores if nobody cancels it. */
const SLOW_SETTINGS = {
  'softmoeInspector.exampleLimit': 0,
  'softmoeInspector.randomTrials': 1000,
  'softmoeInspector.selectors': ['heuristic', 'random', 'oracle', 'batch', 'dispatch', 'output-norm'],
  'softmoeInspector.batchSize': 16,
};

describe('Cancelling Analyze Experts in code-server', { timeout: 300_000 }, () => {
  const s = new E2eSession({ name: 'cancel', runs: ['n16'], settings: SLOW_SETTINGS });

  useSession(s);

  it('Cancel on the progress notification stops the analysis and writes nothing', { timeout: 150_000 }, async () => {
    await s.step('cancel', async () => {
      const before = snapshot(s.workspace);
      await recordToasts(s.page);
      const row = await explorerRow(s.page, CHECKPOINT);
      await contextMenu(s.page, row, 'Analyze Experts');
      // Wait until the worker reports progress through the examples, so the cancel hits a running analysis.
      const progress = toast(s.page, 'Analyzing experts');
      await progress.filter({ hasText: /analyzing.*\d+%/ }).waitFor({ timeout: 60_000 });
      await s.shot('running');
      await progress.getByRole('button', { name: 'Cancel' }).click();
      await progress.waitFor({ state: 'hidden', timeout: 30_000 });
      await toast(s.page, 'Analysis cancelled').waitFor({ timeout: 30_000 });
      await s.page.waitForTimeout(400); // the toast fades in
      await s.shot('cancelled');

      const logFile = (): string => s.server?.vscodeLogFiles().find((f) => /Soft MoE/.test(f)) ?? '';
      const log = (): string => (logFile() ? readFileSync(logFile(), 'utf8') : '');
      const deadline = Date.now() + 15_000;
      while (!/cancelled/.test(log()) && Date.now() < deadline) await s.page.waitForTimeout(250);
      assert.match(log(), /analysis of .*ep4_moe\.safetensors cancelled/, `the extension's log does not say the analysis was cancelled:\n${log()}`);
      // Give a run that ignored the cancel time to show itself (it would take far longer than this to finish,
      // but it would keep reporting progress).
      const seenAtCancel = (await recordedToasts(s.page)).length;
      await s.page.waitForTimeout(3000);
      const late = (await recordedToasts(s.page)).slice(seenAtCancel).filter((t) => /Analyzing experts/.test(t));
      assert.deepEqual(late, [], 'progress was reported after the cancel');
      assert.doesNotMatch(log(), /done in/, 'the log reports a finished analysis');
      assert.equal(await countWebviews(s.page, '.content[data-tab]'), 0, 'an analysis panel opened after the cancel');
      assert.deepEqual(cachedResults(s.dirs.userDataDir), [], 'a result was cached after the cancel');
      assert.deepEqual(snapshot(s.workspace), before, 'files in the workspace changed');
    });
  });
});
