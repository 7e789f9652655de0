/**
 * The PyTorch engine against the built-in engine on the same models and data: evaluation (predictions only) and the
 * whole analysis (heuristic + 10 random trials, every k, zero drop), examples per second, and the ratio torch/tfjs.
 * Models both engines run: the paper's n = 16 MNIST model and the grey Soft MoE ViT (two MoE layers), each through
 * its own PyTorch class named by its softmoe.json. The torch engine runs on the CPU with torch's own thread count,
 * and also on CUDA when the runner finds a GPU (the GPU rows say so, or say there is none).
 *   npm run bench -- torch-engine
 *   SOFTMOE_BENCH_LIMIT=10000 SOFTMOE_BENCH_DATA=/usr/share/datasets/fashion-mnist SOFTMOE_BENCH_PYTHON=/usr/bin/python3 npm run bench -- torch-engine
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../src/core/analysis/finalize';
import { openDatasetForModel } from '../src/core/engine/openDatasetForModel';
import { openEngine, type OpenEngineOptions } from '../src/core/engine/openEngine';
import { evaluate } from '../src/core/engine/evaluate';
import { RunnerProcess } from '../src/core/engine/torch/runnerProcess';
import { findRunnerScript } from '../src/core/engine/torch/runnerScript';

const root = join(__dirname, '..');
const full = '/usr/share/datasets/fashion-mnist';
const DATA = process.env.SOFTMOE_BENCH_DATA ?? (existsSync(join(full, 't10k-images-idx3-ubyte.gz')) ? full : join(root, 'media', 'demo', 'data'));
const LIMIT = Number(process.env.SOFTMOE_BENCH_LIMIT ?? 2000);
const PYTHON = { path: process.env.SOFTMOE_BENCH_PYTHON ?? '/usr/bin/python3', source: 'SOFTMOE_BENCH_PYTHON' };
const MODELS = [
  { name: 'paper MNIST n=16', checkpoint: join(root, 'test', 'fixtures', 'engine', 'mnist_n16', 'model.safetensors') },
  { name: 'Soft MoE ViT (grey, 2 MoE layers)', checkpoint: join(root, 'test', 'fixtures', 'vit', 'vit_gray', 'model.pt') },
];

interface Row {
  model: string;
  engine: string;
  evalRate: number;
  analyzeRate: number;
  accuracy: number;
}

async function measure(model: (typeof MODELS)[0], opts: OpenEngineOptions): Promise<Row> {
  const { engine } = await openEngine(model.checkpoint, opts);
  let evalRate: number;
  let accuracy: number;
  try {
    const ds = await openDatasetForModel(DATA, engine.info, { limit: LIMIT });
    try {
      await evaluate(engine, await openDatasetForModel(DATA, engine.info, { limit: 256 }), { batchSize: 256 }); // warm-up
      const r = await evaluate(engine, ds, { batchSize: 256 });
      evalRate = r.examplesPerSecond;
      accuracy = r.accuracy;
    } finally {
      await ds.close();
    }
  } finally {
    await engine.dispose();
  }
  const part = await analyzeCheckpoint(model.checkpoint, DATA, {
    ...opts, limit: LIMIT, selectors: ['heuristic', 'random'], drops: ['zero'], trials: 10, seed: 0, samples: 0, batchSize: 256,
  });
  const result = finalizeResult(part);
  return { model: model.name, engine: result.tool.engine?.label ?? result.tool.backend, evalRate, analyzeRate: result.timing.examplesPerSecond, accuracy };
}

async function main(): Promise<void> {
  console.log(`data: ${DATA}, first ${LIMIT} examples; batch 256`);
  let gpus: string[];
  try {
    const probe = await RunnerProcess.start({ python: PYTHON, script: findRunnerScript(), cwd: root });
    gpus = (probe.hello.torch?.devices ?? []).filter((d) => d.name.startsWith('cuda')).map((d) => `${d.name} (${d.label ?? '?'})`);
    console.log(`torch ${probe.hello.torch?.version} in ${PYTHON.path}: ${probe.hello.torch?.threads} CPU threads; CUDA devices: ${gpus.length ? gpus.join(', ') : 'none here, so no GPU figure'}`);
    await probe.close();
  } catch (err) {
    console.log(`torch engine bench skipped: ${(err as { userMessage?: string }).userMessage ?? String(err)}`);
    return;
  }
  const rows: Row[] = [];
  for (const model of MODELS) {
    const tfjs = await measure(model, { engine: 'tfjs' });
    const cpu = await measure(model, { engine: 'torch', torch: { python: PYTHON, device: 'cpu' } });
    rows.push(tfjs, cpu);
    const show = (r: Row, base: Row) => console.log(`${r.model.padEnd(34)} ${r.engine.slice(0, 60).padEnd(60)} eval ${r.evalRate.toFixed(0).padStart(7)} ex/s (×${(r.evalRate / base.evalRate).toFixed(2)})  analyze ${r.analyzeRate.toFixed(1).padStart(7)} ex/s (×${(r.analyzeRate / base.analyzeRate).toFixed(2)})  accuracy ${(100 * r.accuracy).toFixed(2)}%`);
    show(tfjs, tfjs);
    show(cpu, tfjs);
    if (gpus.length) {
      const gpu = await measure(model, { engine: 'torch', torch: { python: PYTHON, device: 'cuda' } });
      rows.push(gpu);
      show(gpu, tfjs);
    }
  }
  console.log('(×: examples per second relative to the built-in engine on the same model and data)');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
