// Training-step throughput (examples/s) of the paper's MNIST Soft MoE: tfjs (wasm by default) against PyTorch on
// one thread (bench/pytorch/train_step.py), same model (n = 16 experts, h = 49), batch 256, Adam, cross-entropy.
//   npm run bench -- train                       wasm vs PyTorch
//   SOFTMOE_BENCH_BACKEND=cpu SOFTMOE_BENCH_EXPERTS=1,16,64 npm run bench -- train
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '../src/core/engine/backend';
import { Adam } from '../src/core/train/adam';
import { createPaperMnistTrainable } from '../src/core/train/paperMnistTrainable';
import { crossEntropy, trainStep } from '../src/core/train/trainStep';

const BATCH = 256;
const STEPS = Number(process.env.SOFTMOE_BENCH_STEPS ?? 15);
const backend = (process.env.SOFTMOE_BENCH_BACKEND ?? 'wasm') as BackendName;
const experts = (process.env.SOFTMOE_BENCH_EXPERTS ?? '16').split(',').map(Number);

function tfjsThroughput(n: number): number {
  const model = createPaperMnistTrainable(n, 0);
  const adam = new Adam(model.params);
  const x = tf.randomNormal([BATCH, 4, 196]) as tf.Tensor3D;
  const y = tf.oneHot(tf.randomUniform([BATCH], 0, 10, 'int32') as tf.Tensor1D, 10) as tf.Tensor2D;
  const step = () => trainStep(model, adam, x, (o) => crossEntropy(o, y));
  for (let i = 0; i < 3; i++) step();
  const t0 = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const seconds = (performance.now() - t0) / 1000;
  adam.dispose();
  model.dispose();
  tf.dispose([x, y]);
  return (STEPS * BATCH) / seconds;
}

function torchThroughput(n: number): number | undefined {
  if (!existsSync('/usr/bin/python3')) return undefined;
  const r = spawnSync('/usr/bin/python3', ['bench/pytorch/train_step.py', '--experts', String(n), '--batch', String(BATCH), '--steps', String(STEPS * 2)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) {
    console.log(`(PyTorch reference failed: ${r.stderr.trim().split('\n').pop() ?? ''})`);
    return undefined;
  }
  return (JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { examples_per_s: number }).examples_per_s;
}

async function main(): Promise<void> {
  const active = await initBackend(backend);
  console.log(`training step, batch ${BATCH}, ${STEPS} timed steps, tfjs backend ${active} (1 thread) vs PyTorch CPU (1 thread)`);
  for (const n of experts) {
    const ours = tfjsThroughput(n);
    const torch = torchThroughput(n);
    const ratio = torch ? `  ratio tfjs/PyTorch ${(ours / torch).toFixed(3)} (PyTorch ${(torch / ours).toFixed(1)}× faster)` : '  (no PyTorch at /usr/bin/python3: ratio not measured)';
    console.log(`n=${n}: tfjs ${ours.toFixed(0)} examples/s, one 60k epoch ≈ ${(60000 / ours).toFixed(0)} s; PyTorch ${torch ? torch.toFixed(0) : '—'} examples/s;${ratio}`);
  }
}

void main();
