/**
 * Prune Experts… in a real VS Code: analyse a demo checkpoint with the global selector (calibrated on demo images
 * after the analysed ones), press Prune Experts… under the subset-accuracy chart, pick a folder in the dialog, and the
 * pruned checkpoint with its args.json is written there — the source untouched. Screenshots: test-results/e2e/prune-*.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { E2eSession, useSession } from './harness/session';
import { contextMenu, explorerRow, recordToasts, toast, webviewFrame } from './harness/workbench';
import { snapshot } from './harness/workspace';

const CHECKPOINT = 'n4/ep4_moe.safetensors';

describe('Prune Experts… in code-server', { timeout: 400_000 }, () => {
  const s = new E2eSession({
    name: 'prune', runs: ['n4'],
    settings: {
      'softmoeInspector.selectors': ['heuristic', 'global'],
      'softmoeInspector.dropModes': 'renorm',
      'softmoeInspector.exampleLimit': 300,
      // The embedded demo set has only a test split: calibrate on the images after the 300 analysed ones.
      'softmoeInspector.calibration': 'test[300:1100]',
    },
  });

  useSession(s);

  it('writes the checkpoint with the global subset into the folder picked, and leaves the source alone', { timeout: 240_000 }, async () => {
    await s.step('prune', async () => {
      const target = join(s.workspace, 'pruned');
      mkdirSync(target);
      const source = snapshot(join(s.workspace, 'n4'));
      await recordToasts(s.page);
      await contextMenu(s.page, await explorerRow(s.page, CHECKPOINT), 'Analyze Experts');
      const frame = await webviewFrame(s.page, '.content[data-tab]', { text: 'Subset accuracy', timeout: 150_000 });
      await frame.locator('vscode-tab-header[data-tab="curves"]').click();
      await frame.locator('.global-note').waitFor();
      const k = Number(await frame.locator('.content').getAttribute('data-k'));
      await s.shot('global-subset');
      await frame.locator('.prune-button').click();
      // The folder dialog (VS Code's simple file dialog in the browser): type the folder and accept it.
      const input = s.page.locator('.quick-input-widget input');
      await input.waitFor();
      await input.fill(target);
      await s.shot('folder-dialog');
      await input.press('Enter');
      // Enter accepts the folder, or leaves the dialog open on its button. The dialog may be closing as it is looked
      // at, so a click that finds the button gone is no failure: the toast and the file decide.
      const ok = s.page.locator('.quick-input-widget .monaco-button', { hasText: /^(OK|Write Pruned Checkpoint Here)$/ });
      if (await input.isVisible() && (await ok.count()) > 0) await ok.first().click({ timeout: 5_000 }).catch(() => undefined);
      const written = toast(s.page, 'Wrote ep4_moe-k');
      await written.waitFor({ timeout: 60_000 });
      await s.shot('written');
      const out = join(target, `ep4_moe-k${k}.safetensors`);
      assert.ok(existsSync(out), `${out} was not written`);
      assert.equal(JSON.parse(readFileSync(join(target, 'args.json'), 'utf8')).num_experts, k);
      assert.match((await written.innerText()), new RegExp(`${k} of 4 experts per layer`));
      assert.deepEqual(snapshot(join(s.workspace, 'n4')), source, 'the source folder changed');
    });
  });
});
