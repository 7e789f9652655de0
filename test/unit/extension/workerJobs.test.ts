import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WORKER_PROTOCOL_VERSION } from '../../../src/core/protocol/workerProtocol';
import type { WorkerToHost } from '../../../src/core/protocol/workerProtocol';
import { JobRunner } from '../../../src/worker/jobRunner';
import { columnCosine, downsampleRows, routerToSlots } from '../../../src/worker/summaryMath';
import { runWorkerJob } from '../../../src/extension/workerClient';

const ROOT = join(__dirname, '../../..');
const MNIST = join(ROOT, 'test/fixtures/engine/mnist_n4/model.safetensors');
const VIT = join(ROOT, 'test/fixtures/io/vit_stacked/best_checkpoint.pth');
const HOSTILE = join(ROOT, 'test/fixtures/io/hostile/os_system-global-torchzip.pt');

function collect(): { runner: JobRunner; out: WorkerToHost[] } {
  const out: WorkerToHost[] = [];
  return { runner: new JobRunner((m) => out.push(m)), out };
}

test('inspect: the summary of a paper MNIST checkpoint has its layer, Φ, slot cosines and expert norms', async () => {
  const { runner, out } = collect();
  await runner.handle({ type: 'inspect', id: 1, path: MNIST });
  const m = out.find((x) => x.type === 'inspected');
  assert.ok(m && m.type === 'inspected');
  const s = m.summary;
  assert.equal(s.architecture, 'mnist-softmoe');
  assert.equal(s.layers.length, 1);
  const l = s.layers[0];
  assert.equal(l.phi?.cols, l.numExperts * l.slotsPerExpert);
  assert.equal(l.phi?.sourceRows, l.dim);
  assert.equal(l.slotCosine?.rows, l.numExperts);
  for (let i = 0; i < l.numExperts; i++) assert.ok(Math.abs((l.slotCosine?.values[i * l.numExperts + i] ?? 0) - 1) < 1e-3);
  assert.equal(l.expertNorms.length, l.numExperts);
  assert.ok(l.expertNorms.every((v) => v > 0));
  assert.equal(s.tensorCount, s.tensors.length);
});

test('inspect: a stacked-expert ViT gets per-expert norms from its stacked tensors', async () => {
  const { runner, out } = collect();
  await runner.handle({ type: 'inspect', id: 2, path: VIT });
  const m = out.find((x) => x.type === 'inspected');
  assert.ok(m && m.type === 'inspected');
  const l = m.summary.layers[0];
  assert.equal(l.expertNorms.length, l.numExperts);
  assert.ok(new Set(l.expertNorms).size > 1, 'experts differ');
});

test('a hostile file answers one error with the core code and message, nothing else terminal', async () => {
  const { runner, out } = collect();
  await runner.handle({ type: 'inspect', id: 3, path: HOSTILE });
  const terminal = out.filter((x) => x.type === 'error' || x.type === 'inspected' || x.type === 'result');
  assert.equal(terminal.length, 1);
  assert.ok(terminal[0].type === 'error' && terminal[0].error.code === 'E_UNSAFE');
  assert.match(terminal[0].type === 'error' ? terminal[0].error.userMessage : '', /os\.system/);
});

test('summary math: routers of every axis order become [d, slots]; cosines and row averages', () => {
  // [n=2, p=1, d=3] → [3, 2]
  const r = routerToSlots(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 1, 3], 'npd');
  assert.deepEqual([...r.values], [1, 4, 2, 5, 3, 6]);
  const cos = columnCosine(new Float32Array([1, 2, 0, 0, 1, -4]), 3, 2); // cols (1,0,1) and (2,0,-4)
  assert.equal(cos.values[0], 1);
  assert.equal(cos.values[1], Math.round((2 - 4) / (Math.SQRT2 * Math.sqrt(20)) * 1e4) / 1e4);
  const ds = downsampleRows(new Float32Array([1, 10, 3, 30, 5, 50, 7, 70]), 4, 2, 2);
  assert.deepEqual(ds.values, [2, 20, 6, 60]);
  assert.equal(ds.sourceRows, 4);
});

test('through a real worker thread: inspect resolves, and an error arrives as a SoftMoeError', async () => {
  const workerFile = join(ROOT, 'dist/worker.js');
  if (!existsSync(workerFile)) spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const s = await runWorkerJob(workerFile, { type: 'inspect', path: MNIST });
  assert.equal(s.layers.length, 1);
  await assert.rejects(runWorkerJob(workerFile, { type: 'inspect', path: HOSTILE }), (e: { code?: string }) => e.code === 'E_UNSAFE');
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(runWorkerJob(workerFile, { type: 'inspect', path: MNIST }, { signal: ac.signal }), (e: { code?: string }) => e.code === 'E_CANCELLED');
});

test('through a real worker thread: an analysis cancelled after its first progress rejects with E_CANCELLED', async () => {
  const workerFile = join(ROOT, 'dist/worker.js');
  const data = join(ROOT, 'media/demo/data');
  if (!existsSync(data)) return;
  const ac = new AbortController();
  const phases: string[] = [];
  await assert.rejects(runWorkerJob(workerFile, {
    type: 'analyze', checkpoint: join(ROOT, 'test/fixtures/io/mnist/ep3_moe.pt'), dataset: data,
    settings: { drops: ['zero', 'renorm'], selectors: ['heuristic', 'random', 'oracle'], trials: 10, seed: 0, limit: null, target: 0.99, samples: 8 },
    execution: { batchSize: 64, backend: 'auto' },
  }, { signal: ac.signal, onProgress: (p) => { phases.push(p.phase); ac.abort(); } }), (e: { code?: string }) => e.code === 'E_CANCELLED');
  assert.ok(phases.length >= 1);
});

test('prune: writes the pruned checkpoint and answers one pruned message with its report', async () => {
  const { runner, out } = collect();
  const output = join(mkdtempSync(join(tmpdir(), 'softmoe-worker-prune-')), 'p.safetensors');
  await runner.handle({ type: 'prune', id: 9, checkpoint: MNIST, output, keep: [[0, 2]], overwrite: false });
  const terminal = out.filter((m) => m.type === 'pruned' || m.type === 'error');
  assert.equal(terminal.length, 1);
  const m = terminal[0]!;
  assert.ok(m.type === 'pruned', JSON.stringify(m));
  assert.deepEqual(m.report.layers.map((l) => l.kept), [[0, 2]]);
  assert.ok(existsSync(output));
  // A second prune to the same file without overwrite is refused, as one error.
  await runner.handle({ type: 'prune', id: 10, checkpoint: MNIST, output, keep: [[1]], overwrite: false });
  const again = out.filter((x) => (x.type === 'pruned' || x.type === 'error') && x.id === 10);
  assert.equal(again.length, 1);
  assert.ok(again[0]!.type === 'error' && /already exist/.test(again[0]!.error.userMessage));
});

test("a worker of another protocol version is refused at its hello with one clear error, before any job is sent", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-hello-'));
  const file = join(dir, 'worker.js');
  // A worker from another build: says hello with another version, and would answer any job it got.
  writeFileSync(file, `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => parentPort.postMessage({ type: 'inspected', id: m.id, summary: { layers: [] } }));
parentPort.postMessage({ type: 'hello', protocolVersion: ${WORKER_PROTOCOL_VERSION + 1} });`);
  try {
    await assert.rejects(runWorkerJob(file, { type: 'inspect', path: MNIST }), (e: { code?: string; userMessage?: string }) =>
      e.code === 'E_UNSUPPORTED' && new RegExp(`protocol ${WORKER_PROTOCOL_VERSION + 1} but the extension speaks ${WORKER_PROTOCOL_VERSION}`).test(e.userMessage ?? ''));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
