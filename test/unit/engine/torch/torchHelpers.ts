/**
 * Helpers for the PyTorch engine's tests. They need a Python with torch: Debian's python3-torch run with
 * /usr/bin/python3 (what .ci/run installs), or SOFTMOE_TEST_PYTHON. Without one they FAIL, saying how to get it,
 * unless SOFTMOE_SKIP_TORCH=1 is set on purpose.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openTorchEngine, type TorchEngine, type TorchEngineOptions } from '../../../../src/core/engine/torch/torchEngine';
import type { PythonChoice } from '../../../../src/core/engine/torch/runnerProcess';

export const FIXTURES = resolve(__dirname, '..', '..', '..', 'fixtures');
export const TORCH_FIXTURES = join(FIXTURES, 'torch');
export const PATCHNET = join(TORCH_FIXTURES, 'patchnet', 'model.pt');
export const WRONG = join(TORCH_FIXTURES, 'wrong', 'model.pt');
export const DEMO_DATA = resolve(__dirname, '..', '..', '..', '..', 'media', 'demo', 'data');

export const PYTHON: PythonChoice = { path: process.env.SOFTMOE_TEST_PYTHON ?? '/usr/bin/python3', source: 'the tests' };

/** `skip` option for describe(): a reason when SOFTMOE_SKIP_TORCH=1, else false. */
export const SKIP_TORCH: string | false = process.env.SOFTMOE_SKIP_TORCH === '1' ? 'SOFTMOE_SKIP_TORCH=1' : false;

let checked = false;
/** Throw a clear error when the test interpreter cannot import torch. */
export function requireTorch(): void {
  if (checked) return;
  const r = spawnSync(PYTHON.path, ['-c', 'import torch'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`The PyTorch engine's tests need ${PYTHON.path} with torch (apt-get install python3-torch, or set SOFTMOE_TEST_PYTHON); set SOFTMOE_SKIP_TORCH=1 to skip them. ${r.error?.message ?? r.stderr.trim().split('\n').pop() ?? ''}`);
  }
  checked = true;
}

/** One thread: these tests share a 2-core machine. */
export function openEngine(checkpoint: string, opts: TorchEngineOptions = {}): Promise<TorchEngine> {
  requireTorch();
  return openTorchEngine(checkpoint, { python: PYTHON, threads: 1, ...opts });
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Wait until `pid` has exited (true) or `ms` passed (false). */
export async function waitGone(pid: number | undefined, ms = 3000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isAlive(pid);
}

/** A temporary folder with the PatchNet checkpoint and a softmoe.json (models found in the fixture folder). */
export function patchnetWith(model: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-torch-'));
  copyFileSync(PATCHNET, join(dir, 'model.pt'));
  const sidecar = {
    model: { kwargs: { dim: 32, num_experts: 8, slots_per_expert: 2, mult: 2 }, pythonPath: [join(TORCH_FIXTURES, 'models')], ...model },
    input_size: [1, 28, 28], mean: [0.286], std: [0.353], ...extra,
  };
  writeFileSync(join(dir, 'softmoe.json'), JSON.stringify(sidecar));
  return join(dir, 'model.pt');
}

export { argmaxRows, maxAbsDiff } from '../helpers';

/** Per row of a [rows, m, n, p] combine array: expert scores summed over tokens and slots → top-k keep mask [rows, n]. */
export function topKMask(combine: Float32Array, rows: number, m: number, n: number, p: number, k: number): Uint8Array {
  const mask = new Uint8Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const score = new Float64Array(n);
    for (let t = 0; t < m; t++) for (let e = 0; e < n; e++) for (let s = 0; s < p; s++) score[e] += combine[((r * m + t) * n + e) * p + s];
    const order = Array.from({ length: n }, (_, e) => e).sort((a, b) => score[b] - score[a] || a - b);
    for (const e of order.slice(0, k)) mask[r * n + e] = 1;
  }
  return mask;
}

/** Runner processes (softmoe_runner.py) whose parent is `parent` (default this process), from /proc. */
export function runnerProcesses(parent = process.pid): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('softmoe_runner.py')) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Wait until this process has no runner child left; the pids still running after `ms`. */
export async function noRunnersLeft(ms = 3000, parent = process.pid): Promise<number[]> {
  const end = Date.now() + ms;
  for (;;) {
    const left = runnerProcesses(parent);
    if (left.length === 0 || Date.now() > end) return left;
    await new Promise((r) => setTimeout(r, 25));
  }
}
