/**
 * Restricted Mode (an untrusted workspace) in code-server: the packaged manifest declares what works there and
 * that virtual workspaces do not; the checkpoint editor opens a checkpoint and Analyze Experts analyses it with
 * the built-in engine, although the workspace's settings ask for the PyTorch engine (an untrusted workspace cannot
 * choose it); a model saved as .npz opens in the checkpoint editor and gets Analyze Experts in its title bar; the
 * PyTorch engine asked for in the user's own settings is refused with what to do and Manage Workspace Trust.
 * Screenshots: test-results/e2e/restricted-*.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { E2eSession } from './harness/session';
import { DEMO_MODELS } from './harness/paths';
import { vsixText } from './harness/vsixEntries';
import { explorerRow, recordToasts, recordedToasts, webviewFrame } from './harness/workbench';
import { cachedResults } from './harness/workspace';
import { npzFromCheckpoint } from '../helpers/npzFromCheckpoint';

const NPZ = 'numpy/n2_model.npz';

describe('Restricted Mode in code-server', { timeout: 420_000 }, () => {
  let s: E2eSession;

  before(async () => {
    const npz = await npzFromCheckpoint(join(DEMO_MODELS, 'n2', 'ep4_moe.safetensors'));
    s = new E2eSession({
      name: 'restricted', runs: ['n16'], restricted: true, files: { [NPZ]: npz },
      // .npz opens in our editor only if the manifest offers it for *.npz (an association to an editor that does
      // not list the pattern is ignored): the association stands in for choosing it under Open With….
      // The workspace asks for the PyTorch engine: restricted (package.json), so Restricted Mode ignores it.
      settings: { 'workbench.editorAssociations': { '*.npz': 'softmoe.checkpointOption' }, 'softmoeInspector.engine': 'torch' },
    });
    await s.start();
  }, { timeout: 300_000 });

  after(async () => {
    await s?.close();
    assert.equal(s?.server?.isRunning(), false, 'code-server is still running after the session closed');
  });

  it('the packaged manifest declares limited support in untrusted workspaces and none in virtual ones', async () => {
    const manifest = JSON.parse(await vsixText(s.vsix?.vsix ?? '', 'extension/package.json')) as { capabilities?: Record<string, { supported?: unknown; description?: string }> };
    assert.equal(manifest.capabilities?.untrustedWorkspaces?.supported, 'limited');
    assert.ok(manifest.capabilities?.untrustedWorkspaces?.description, 'untrustedWorkspaces has no description');
    assert.equal(manifest.capabilities?.virtualWorkspaces?.supported, false);
    assert.match(manifest.capabilities?.virtualWorkspaces?.description ?? '', /file system/);
  });

  it('the workspace is in Restricted Mode, and the checkpoint editor opens a checkpoint there', { timeout: 120_000 }, async () => {
    await s.step('open', async () => {
      await s.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      const row = await explorerRow(s.page, 'n16/ep4_moe.safetensors');
      await row.click();
      const frame = await webviewFrame(s.page, 'section.layer', { text: 'Soft MoE layers' });
      assert.match(await frame.locator('section.layer').first().innerText(), /\b16 experts\b/);
      await s.shot('checkpoint-editor');
    });
  });

  it("Analyze Experts (the editor's button) analyses it with the built-in engine", { timeout: 180_000 }, async () => {
    await s.step('analyze', async () => {
      await recordToasts(s.page);
      const editor = await webviewFrame(s.page, '#btn-analyze', { text: 'Soft MoE layers' });
      await editor.locator('#btn-analyze').click();
      const panel = await webviewFrame(s.page, '.content[data-tab]', { text: 'Subset accuracy', timeout: 150_000 });
      const facts = await panel.locator('.view.overview dl.facts').innerText();
      assert.match(facts, /tfjs|onnxruntime|wasm|cpu/, `the Overview does not name the built-in engine's backend: ${facts}`);
      assert.equal(cachedResults(s.dirs.userDataDir).length, 1, 'the result was not cached');
      const errors = (await recordedToasts(s.page)).filter((t) => /error|trust/i.test(t));
      assert.deepEqual(errors, [], 'an error or trust notification was shown');
      await s.shot('analysis');
    });
  });

  it('a model saved as .npz opens in the checkpoint editor, with Analyze Experts in its title bar', { timeout: 120_000 }, async () => {
    await s.step('npz', async () => {
      const row = await explorerRow(s.page, NPZ);
      await row.click();
      const frame = await webviewFrame(s.page, 'section.layer', { text: 'n2_model.npz' });
      assert.match(await frame.locator('section.layer').first().innerText(), /\b2 experts\b/);
      assert.match(await frame.locator('.stats').innerText(), /npz/);
      // The title-bar action shows once the editor has found the model (a context key the editor sets).
      await s.page.locator('.editor-actions .action-label[aria-label^="Analyze Experts"]').first().waitFor({ timeout: 20_000 });
      await s.shot('npz-editor');
    });
  });
});

describe("Restricted Mode in code-server: the PyTorch engine asked for in the user's own settings", { timeout: 300_000 }, () => {
  let s: E2eSession;

  before(async () => {
    s = new E2eSession({ name: 'restricted-torch', runs: ['n16'], restricted: true, userSettings: { 'softmoeInspector.engine': 'torch' } });
    await s.start();
  }, { timeout: 240_000 });

  after(async () => {
    await s?.close();
    assert.equal(s?.server?.isRunning(), false, 'code-server is still running after the session closed');
  });

  it('Analyze Experts is refused with what to do, and offers Manage Workspace Trust', { timeout: 120_000 }, async () => {
    await s.step('torch-refused', async () => {
      await s.page.locator('.statusbar-item', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 30_000 });
      // The workbench may still be scanning extensions right after start: a checkpoint clicked before our custom
      // editor is known opens as binary text, so close that and click again.
      let editor;
      for (let attempt = 0; !editor; attempt++) {
        await (await explorerRow(s.page, 'n16/ep4_moe.safetensors')).click();
        editor = await webviewFrame(s.page, '#btn-analyze', { text: 'Soft MoE layers', timeout: 15_000 }).catch((err: unknown) => {
          if (attempt >= 3) throw err;
          return undefined;
        });
        if (!editor) await s.page.keyboard.press('Control+W');
      }
      await editor.locator('#btn-analyze').click();
      const toast = s.page.locator('.notification-toast', { hasText: "softmoeInspector.engine is 'torch'" });
      await toast.waitFor({ timeout: 30_000 });
      assert.match(await toast.innerText(), /Restricted Mode.*untrusted workspace.*Trust this workspace/s);
      await toast.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).waitFor({ timeout: 5_000 });
      assert.equal(cachedResults(s.dirs.userDataDir).length, 0, 'something was analysed');
      await s.shot('refused');
    });
  });
});
