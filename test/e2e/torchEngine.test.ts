/**
 * Your own model in a real VS Code: a checkpoint the built-in engine cannot run (PatchNet, lucidrains-style Soft MoE
 * layers in a conv network) with a softmoe.json naming its model factory. Analyze Experts from the explorer runs the
 * model's own code in the Python the settings name, and the panel shows its curves and says which engine ran; no
 * runner process is left afterwards. Screenshots: test-results/e2e/torch-*.png.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { E2eSession, useSession } from './harness/session';
import { ROOT } from './harness/paths';
import { contextMenu, explorerRow, webviewFrame } from './harness/workbench';
import { cachedResults } from './harness/workspace';

const PYTHON = process.env.SOFTMOE_TEST_PYTHON ?? '/usr/bin/python3';
const TORCH_FIXTURES = join(ROOT, 'test', 'fixtures', 'torch');

/** Runner processes started for the workspace (cwd inside it), from /proc. */
function runnersIn(dir: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('softmoe_runner.py') && readlinkSync(`/proc/${name}/cwd`).startsWith(dir)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('Your own model: the PyTorch engine in code-server', { timeout: 360_000, skip: process.env.SOFTMOE_SKIP_TORCH === '1' ? 'SOFTMOE_SKIP_TORCH=1' : false }, () => {
  const s = new E2eSession({
    name: 'torch',
    runs: [],
    files: {
      'patchnet/model.pt': readFileSync(join(TORCH_FIXTURES, 'patchnet', 'model.pt')),
      'patchnet/softmoe.json': readFileSync(join(TORCH_FIXTURES, 'patchnet', 'softmoe.json'), 'utf8'),
      'models/patchnet.py': readFileSync(join(TORCH_FIXTURES, 'models', 'patchnet.py'), 'utf8'),
    },
    settings: {
      'softmoeInspector.pythonPath': PYTHON,
      'softmoeInspector.device': 'cpu',
      'softmoeInspector.exampleLimit': 512,
      'softmoeInspector.randomTrials': 5,
      'softmoeInspector.samplesKept': 12,
    },
  });

  useSession(s);

  it('Analyze Experts on a checkpoint with a softmoe.json factory runs the model\'s own code and shows the panel', { timeout: 200_000 }, async () => {
    await s.step('analyze', async () => {
      const row = await explorerRow(s.page, 'patchnet/model.pt');
      await contextMenu(s.page, row, 'Analyze Experts');
      const frame = await webviewFrame(s.page, '.content[data-tab]', { text: 'Subset accuracy', timeout: 180_000 });
      const overview = await frame.locator('.content[data-tab]').first().innerText();
      assert.match(overview, /model\.pt — pytorch-zip, custom, 77,002 parameters/, overview);
      assert.match(overview, /torch 1\.\d+.* on cpu \(.*python3, Python 3\.\d+\.\d+; patchnet:build_patchnet\)/, overview);
      assert.match(overview, /moe1[\s\S]*lucidrains[\s\S]*moe2/, overview);
      await s.shot('overview');
      await frame.locator('vscode-tab-header[data-tab="curves"]').click();
      const chart = frame.locator('#chart-curves[data-drawn="true"]');
      await chart.waitFor();
      const summary = JSON.parse(await chart.getAttribute('data-summary') ?? '{}') as { series: Array<{ selector: string; points: number }> };
      assert.deepEqual(summary.series.map((x) => x.selector).sort(), ['heuristic', 'random']);
      for (const series of summary.series) assert.equal(series.points, 8, `${series.selector}: one point per k = 1…8`);
      await s.shot('subset-accuracy');
      assert.equal(cachedResults(s.dirs.userDataDir).length, 1, 'the result was not cached');
      const log = s.server?.vscodeLogFiles().find((f) => /Soft MoE/.test(f));
      const text = log ? readFileSync(log, 'utf8') : '';
      assert.match(text, /built patchnet\.PatchNet \(77002 parameters\) on cpu/, `the log does not show the runner:\n${text}`);
      assert.deepEqual(runnersIn(s.workspace), [], 'a PyTorch runner is still running after the analysis');
    });
  });
});
