/**
 * Every way the PyTorch engine can fail gives one clear SoftMoeError, and leaves no runner process behind: a layer
 * whose math is not the detected variant (the self-check), a factory that raises, a missing module, something that
 * is not an nn.Module, a checkpoint that does not fit, no torch, no Python, no CUDA, a killed runner, Cancel, and a
 * client that dies.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { openDataset } from '../../../../src/core/data/openDataset';
import { SoftMoeError } from '../../../../src/core/errors';
import { CANCEL_GRACE_MS } from '../../../../src/core/engine/torch/runnerProcess';
import type { EngineBatch } from '../../../../src/core/engine/engine';
import type { TorchEngine } from '../../../../src/core/engine/torch/torchEngine';
import { DEMO_DATA, PATCHNET, PYTHON, SKIP_TORCH, WRONG, isAlive, noRunnersLeft, openEngine, patchnetWith, requireTorch, topKMask, waitGone } from './torchHelpers';

const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

function withModel(model: Record<string, unknown>, extra?: Record<string, unknown>): string {
  const p = patchnetWith(model, extra);
  temps.push(dirname(p));
  return p;
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<SoftMoeError> {
  let caught: unknown;
  await p.then(() => undefined, (e: unknown) => (caught = e));
  assert.ok(caught instanceof SoftMoeError, `expected a SoftMoeError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.userMessage);
  assert.match(caught.userMessage, pattern);
  assert.ok(!caught.userMessage.includes('\n'), 'one line');
  return caught;
}

async function demoImages(n: number): Promise<Float32Array> {
  const ds = await openDataset(DEMO_DATA, { limit: n });
  let x = new Float32Array(0);
  for await (const b of ds.batches(n)) x = b.x.slice();
  await ds.close();
  return x;
}

async function assertNoRunners(): Promise<void> {
  assert.deepEqual(await noRunnersLeft(), [], 'runner processes left behind');
}

describe('PyTorch engine failures: one clear error each, no process left', { skip: SKIP_TORCH }, () => {
  it('refuses a layer whose math is not the detected variant, naming it and the difference', async () => {
    const engine = await openEngine(WRONG);
    const x = await demoImages(16);
    const err = await rejectsWith(engine.begin(x, 16), 'E_UNSUPPORTED', /Soft MoE layer 'moe1' \(lucidrains layout\): its own forward and the reference forward of that layout differ by max \|Δ\| = [\d.]+, [\d.]+ of the output's largest value [\d.]+ \(tolerance 1e-05\).*refused/);
    assert.match(err.userMessage, /'moe2'/);
    // Refused for good: later batches get the same answer.
    await rejectsWith(engine.begin(x, 16), 'E_UNSUPPORTED', /'moe1'/);
    await engine.dispose();
    await assertNoRunners();
  });

  it('a factory that raises: its exception, where it was raised', async () => {
    await rejectsWith(openEngine(withModel({ factory: 'patchnet:build_raises' })), 'E_CONFIG',
      /model\.factory 'patchnet:build_raises' raised ValueError: num_experts must be a power of two, got 8 \(.*patchnet\.py:\d+ in build_raises\)/);
    await assertNoRunners();
  });

  it('a missing module: its name and where it was looked for', async () => {
    await rejectsWith(openEngine(withModel({ factory: 'nosuchpkg.models:build' })), 'E_CONFIG',
      /cannot import module 'nosuchpkg\.models' named by model\.factory: no module named 'nosuchpkg' \(searched .*models first\)/);
    await assertNoRunners();
  });

  it('a missing function, and something that is not an nn.Module', async () => {
    await rejectsWith(openEngine(withModel({ factory: 'patchnet:no_such_function' })), 'E_CONFIG', /module 'patchnet' has no attribute 'no_such_function'/);
    await rejectsWith(openEngine(withModel({ factory: 'patchnet:build_not_a_module' })), 'E_CONFIG', /returned a builtins\.dict, not a torch\.nn\.Module/);
    await assertNoRunners();
  });

  it('a checkpoint that does not fit the model the factory builds', async () => {
    await rejectsWith(openEngine(withModel({ factory: 'patchnet:build_patchnet', kwargs: { dim: 32, num_experts: 4, slots_per_expert: 2, mult: 2 } })), 'E_SHAPE',
      /the checkpoint's moe1\.slot_embeds is \[8, 2, 32\] but the model built by the factory has \[4, 2, 32\]/);
    await assertNoRunners();
  });

  it('no factory in softmoe.json, or a malformed one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-torch-'));
    temps.push(dir);
    writeFileSync(join(dir, 'softmoe.json'), '{"input_size": [1, 28, 28]}');
    const { copyFileSync } = await import('node:fs');
    copyFileSync(PATCHNET, join(dir, 'model.pt'));
    await rejectsWith(openEngine(join(dir, 'model.pt')), 'E_CONFIG', /runs your model's own code, named in a softmoe\.json .*"factory": "package\.module:build_model"/);
    await rejectsWith(openEngine(withModel({ factory: 'patchnet.build_patchnet' })), 'E_CONFIG', /"model\.factory" must name a callable as "package\.module:function"/);
    await rejectsWith(openEngine(withModel({ factory: 'patchnet:build_patchnet', kwarg: {} })), 'E_CONFIG', /"model" has "kwarg", which is not one of/);
    await assertNoRunners();
  });

  it('no torch in the chosen Python', async () => {
    requireTorch();
    const dir = mkdtempSync(join(tmpdir(), 'softmoe-nopython-'));
    temps.push(dir);
    // The same interpreter without site-packages: it runs, but cannot import torch.
    const wrapper = join(dir, 'python-without-torch');
    writeFileSync(wrapper, `#!/bin/sh\nexec ${PYTHON.path} -S "$@"\n`);
    chmodSync(wrapper, 0o755);
    await rejectsWith(openEngine(PATCHNET, { python: { path: wrapper, source: '--python' } }), 'E_ENGINE',
      /python-without-torch \(Python 3\.[\d.]+, from --python\) cannot import torch: ModuleNotFoundError: No module named 'torch'.*Install PyTorch/);
    await assertNoRunners();
  });

  it('no Python at all', async () => {
    await rejectsWith(openEngine(PATCHNET, { python: { path: '/nonexistent/python3', source: 'softmoeInspector.pythonPath' } }), 'E_ENGINE',
      /Python interpreter '\/nonexistent\/python3' not found \(from softmoeInspector\.pythonPath\)/);
  });

  it('cuda asked for where torch has none', async (t) => {
    const engine = await openEngine(PATCHNET, { device: 'cuda' }).catch((e: unknown) => e);
    if (!(engine instanceof SoftMoeError)) {
      t.diagnostic('this machine has CUDA: the engine opened on it');
      assert.match((engine as TorchEngine).description.backend, /^cuda:\d+$/);
      await (engine as TorchEngine).dispose();
      return;
    }
    assert.equal(engine.code, 'E_CONFIG');
    assert.match(engine.userMessage, /device 'cuda': torch .* here has no CUDA device/);
    await assertNoRunners();
  });

  it('a killed runner: the next call says so, and so do later ones', async () => {
    const engine = await openEngine(PATCHNET);
    const x = await demoImages(16);
    const batch = await engine.begin(x, 16);
    process.kill(engine.pid as number, 'SIGKILL');
    assert.ok(await waitGone(engine.pid));
    await rejectsWith(batch.predict(), 'E_ENGINE', /the PyTorch runner \(.*python3, from the tests\) stopped \(killed by SIGKILL\)/);
    await rejectsWith(engine.begin(x, 16), 'E_ENGINE', /stopped \(killed by SIGKILL\)/);
    await batch.close();
    await engine.dispose();
    await assertNoRunners();
  });

  it('Cancel inside a selecting pass stops it at once, and the engine goes on working', async () => {
    const engine = await openEngine(PATCHNET);
    const x = await demoImages(32);
    const ac = new AbortController();
    const batch = await engine.begin(x, 32, ac.signal);
    const full = await batch.predict();
    let t0 = 0;
    const pending = batch.runSelecting({
      drop: 'zero', count: 4, slotOutputs: false,
      select: (layer, r) => {
        if (layer === 1) {
          t0 = performance.now();
          ac.abort();
        }
        return topKMask(r.combine, r.b, r.m, r.n, r.p, 2);
      },
    });
    await rejectsWith(pending, 'E_CANCELLED', /^Cancelled\.$/);
    assert.ok(performance.now() - t0 < 1000);
    // The runner answered the cancel (it was waiting for masks): it is alive and the next batch works.
    const again = await engine.begin(x, 32);
    assert.deepEqual([...await again.predict()], [...full]);
    assert.ok(isAlive(engine.pid));
    await again.close();
    await engine.dispose();
    await assertNoRunners();
  });

  it('Cancel during a long stacked run rejects within a second; the runner stops or is stopped', async () => {
    const engine = await openEngine(PATCHNET);
    const x = await demoImages(64);
    const ac = new AbortController();
    const batch = await engine.begin(x, 64, ac.signal);
    const P = 600;
    const masks = new Uint8Array(P * 64 * 8).fill(1);
    const pending = batch.run({ drop: 'zero', count: P, masks: [masks, masks] });
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    ac.abort();
    await rejectsWith(pending, 'E_CANCELLED', /^Cancelled\.$/);
    assert.ok(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
    // Within the grace period the runner either answered (and is usable) or was killed (and says so, and is gone).
    await new Promise((r) => setTimeout(r, CANCEL_GRACE_MS + 250));
    const next: EngineBatch | unknown = await engine.begin(x, 64).then((b2) => b2, (e: unknown) => e);
    if (!(next && typeof next === 'object' && 'predict' in next)) {
      assert.ok(next instanceof SoftMoeError && next.code === 'E_ENGINE' && /stopped \(killed by SIGKILL\)/.test(next.userMessage), String(next));
      assert.ok(await waitGone(engine.pid), 'a runner that was stopped is gone');
    } else {
      assert.equal((await (next as EngineBatch).predict()).length, 64);
      assert.ok(isAlive(engine.pid));
    }
    await engine.dispose();
    await assertNoRunners();
  });

  it('a client that dies leaves no runner: the runner exits when its stdin closes', async () => {
    requireTorch();
    const client = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'orphanClient.ts'), PATCHNET, PYTHON.path], { stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      let errText = '';
      client.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(Number(out.trim()));
      });
      client.stderr.on('data', (d: Buffer) => (errText += d.toString()));
      client.on('exit', (code) => reject(new Error(`client exited (${code}): ${errText}`)));
    });
    assert.ok(isAlive(pid));
    client.kill('SIGKILL');
    assert.ok(await waitGone(pid, 5000), `runner ${pid} outlived its client`);
  });
});
