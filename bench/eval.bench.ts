// Evaluation throughput of the paper's MNIST Soft MoE (n = 16, the committed parity fixture trained on Fashion-MNIST)
// over the 10,000 Fashion-MNIST test images: tfjs (wasm by default) against the same forward in PyTorch
// (bench/pytorch/eval_mnist_softmoe.py, one thread) run as a whole process on the same machine.
//   npm run bench -- eval
//   SOFTMOE_BENCH_BACKEND=cpu SOFTMOE_BENCH_BATCH=512 npm run bench -- eval
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { openDataset } from '../src/core/data/openDataset';
import { initBackend, type BackendName } from '../src/core/engine/backend';
import { evaluate } from '../src/core/engine/evaluate';
import { loadModel } from '../src/core/engine/loadModel';
import { createTfjsEngine } from '../src/core/engine/tfjsEngine';

const DATA = process.env.SOFTMOE_BENCH_DATA ?? '/usr/share/datasets/fashion-mnist';
const MODEL = 'test/fixtures/engine/mnist_n16/model.safetensors';
const BATCH = Number(process.env.SOFTMOE_BENCH_BATCH ?? 256);
const REPEATS = Number(process.env.SOFTMOE_BENCH_REPEATS ?? 3);
const backend = (process.env.SOFTMOE_BENCH_BACKEND ?? 'wasm') as BackendName;

async function main(): Promise<void> {
  if (!existsSync(DATA)) {
    console.log(`Fashion-MNIST not found at ${DATA} (apt-get install dataset-fashion-mnist); nothing to measure.`);
    return;
  }
  const tStart = performance.now();
  const used = await initBackend(backend);
  const model = await loadModel(MODEL);
  const dataset = await openDataset(DATA, { split: 'test' });
  const engine = createTfjsEngine(model, { ownsModel: false });

  // 1) evaluate() as `softmoe eval` runs it (reading and decoding batches included).
  await evaluate(engine, await openDataset(DATA, { split: 'test', limit: 512 }), { batchSize: BATCH }); // warm-up
  const r = await evaluate(engine, dataset, { batchSize: BATCH });
  // What `softmoe eval` costs as a whole: backend start, model load, warm-up and evaluate().
  const processS = (performance.now() - tStart) / 1000;

  // 2) The forward pass alone on pre-decoded batches, collecting predictions to compare with PyTorch.
  const batches: Array<{ x: Float32Array; size: number }> = [];
  for await (const b of dataset.batches(BATCH)) batches.push({ x: b.x.slice(), size: b.size });
  const preds = new Uint8Array(dataset.numExamples);
  // Best of REPEATS (other processes on a shared machine only ever make a run slower).
  let forwardS = Infinity;
  for (let rep = 0; rep < REPEATS; rep++) {
    let k = 0;
    const t0 = performance.now();
    for (const b of batches) {
      const p = tf.tidy(() => tf.argMax(model.forward(model.preprocess(tf.tensor4d(b.x, [b.size, 28, 28, 1]))).logits, 1));
      const v = (await p.data()) as Int32Array;
      p.dispose();
      for (let i = 0; i < b.size; i++) preds[k++] = v[i];
    }
    forwardS = Math.min(forwardS, (performance.now() - t0) / 1000);
  }
  await dataset.close();
  model.dispose();
  const rssMb = process.resourceUsage().maxRSS / 1024;

  console.log(`tfjs ${used}: accuracy ${(100 * r.accuracy).toFixed(2)}% on ${r.numExamples}; evaluate() ${r.seconds.toFixed(3)} s (${r.examplesPerSecond.toFixed(0)} ex/s); forward only ${forwardS.toFixed(3)} s (best of ${REPEATS}); start + load + evaluate ${processS.toFixed(2)} s; peak RSS ${rssMb.toFixed(0)} MB`);

  const dir = mkdtempSync(join(tmpdir(), 'softmoe-bench-'));
  try {
    const predFile = join(dir, 'pred.u8');
    let wallS = Infinity;
    const ref = { forward_s: Infinity };
    for (let rep = 0; rep < REPEATS; rep++) {
      const t1 = performance.now();
      const py = spawnSync('/usr/bin/python3', ['bench/pytorch/eval_mnist_softmoe.py', MODEL, DATA, predFile, String(BATCH)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      wallS = Math.min(wallS, (performance.now() - t1) / 1000);
      if (py.status !== 0) {
        console.log(`(PyTorch reference failed: ${py.stderr.trim().split('\n').pop() ?? ''})`);
        return;
      }
      const one = JSON.parse(py.stdout.trim().split('\n').pop() ?? '{}') as { forward_s: number };
      ref.forward_s = Math.min(ref.forward_s, one.forward_s);
    }
    const torchPred = readFileSync(predFile);
    let agree = 0;
    for (let i = 0; i < preds.length; i++) if (torchPred[i] === preds[i]) agree++;
    console.log(`PyTorch (1 thread): forward ${ref.forward_s.toFixed(3)} s; whole process ${wallS.toFixed(2)} s (best of ${REPEATS})`);
    console.log(`ratio tfjs/PyTorch: forward ${(forwardS / ref.forward_s).toFixed(2)}×, evaluate() vs PyTorch forward ${(r.seconds / ref.forward_s).toFixed(2)}×, whole process ${(processS / wallS).toFixed(2)}×`);
    console.log(`predictions agree on ${agree}/${preds.length}${agree === preds.length ? '' : '  <-- MISMATCH'}; peak RSS ${rssMb.toFixed(0)} MB ${rssMb < 1024 ? '(< 1 GB)' : '(OVER 1 GB)'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
