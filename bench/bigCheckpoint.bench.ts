// A big checkpoint, opened and run: how long until the answer and the PEAK RESIDENT MEMORY of the process, for
//   1. a dataset whose classes the checkpoint's header already rules out (10 classes; the model predicts 1000),
//   2. `softmoe eval`'s work on a dataset that fits (the embedded demo set, 8 examples): open, load, evaluate,
//   3. Analyze Experts' work on it: open, load, analyse (heuristic, k = 1 and n),
// each beside the bytes of the tensors the model uses (issue 12's aim: a peak of at most twice those). The
// checkpoint is the paper's MNIST layout with very wide experts (F32), written SPARSE (ftruncate: all-zero weights,
// no disk cost) and deleted at the end. Each case runs in a fresh process, so its maxRSS is its own. No timing is
// asserted anywhere; this prints figures.
//   npm run bench -- bigCheckpoint                 (SOFTMOE_BENCH_GB=1.4 by default: the checkpoint's size in GB)
//   SOFTMOE_BENCH_GB=3.7 npm run bench -- bigCheckpoint
//   SOFTMOE_BENCH_BACKEND=onnx …                  another backend (onnx, cpu, node; default wasm, which refuses a model that cannot fit
//                                                 its 4 GiB heap with XNNPACK's packed copies: engine/wasmMemory.ts)
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSparsePaperMnist } from '../test/helpers/paperMnistCheckpoint';
import type { BackendName } from '../src/core/engine/backendName';

const ROOT = join(__dirname, '..');
const DEMO_DATA = join(ROOT, 'media', 'demo', 'data');
const D = 196;
const N = 16;
const TOKENS = 4;

interface CaseResult {
  ok: boolean;
  code?: string;
  message?: string;
  seconds: number;
  maxRssMiB: number;
  /** Peak RSS when the analysis starts, i.e. of loading the model (null: it never got there). */
  loadedRssMiB: number | null;
  /** Tensor bytes the loading-progress hook reported, and the total it announced. */
  bytesReported: number;
  bytesTotal: number;
  progressEvents: number;
}

/** Paper MNIST layout, n = 16 experts, h chosen to reach `bytes` in all (per expert: fc1 [h, d] + fc2 [d, h], F32). */
function writeSparseCheckpoint(path: string, bytes: number, classes: number): Promise<number> {
  return writeSparsePaperMnist(path, { d: D, n: N, h: Math.max(1, Math.floor(bytes / (N * 8 * D))), classes, tokens: TOKENS });
}

/** In the child: one evaluation or analysis, its outcome and this process's peak RSS, as one JSON line on stdout. */
async function child(mode: string, checkpoint: string, dataset: string): Promise<void> {
  const { INFERENCE_ORDER, initBackend } = await import('../src/core/engine/backend');
  const { analyzeCheckpoint } = await import('../src/core/analysis/analyzeCheckpoint');
  const { openEngine } = await import('../src/core/engine/openEngine');
  const { openDatasetForModel } = await import('../src/core/engine/openDatasetForModel');
  const { evaluate } = await import('../src/core/engine/evaluate');
  const backend = (process.env.SOFTMOE_BENCH_BACKEND ?? 'wasm') as BackendName;
  await initBackend(backend, INFERENCE_ORDER);
  const t0 = performance.now();
  const out: CaseResult = { ok: false, seconds: 0, maxRssMiB: 0, loadedRssMiB: null, bytesReported: 0, bytesTotal: 0, progressEvents: 0 };
  const hooks: Record<string, unknown> = {
    onPhase: (phase: string) => {
      if (phase !== 'loading model') out.loadedRssMiB = process.resourceUsage().maxRSS / 1024;
    },
    // Present once the byte-progress hook exists; ignored before.
    onLoadProgress: (p: { done: number; total: number }) => {
      out.bytesReported = p.done;
      out.bytesTotal = p.total;
      out.progressEvents++;
    },
  };
  try {
    if (mode === 'eval') {
      const { engine } = await openEngine(checkpoint, { backend, onLoadProgress: hooks.onLoadProgress as (p: { done: number; total: number }) => void });
      out.loadedRssMiB = process.resourceUsage().maxRSS / 1024;
      const data = await openDatasetForModel(dataset, engine.info, { limit: 8 });
      await evaluate(engine, data, { batchSize: 8 });
      await data.close();
      await engine.dispose();
    } else {
      await analyzeCheckpoint(checkpoint, dataset, { backend, limit: 8, batchSize: 8, selectors: ['heuristic'], samples: 0, ks: [1, N] }, hooks);
    }
    out.ok = true;
  } catch (err) {
    const e = err as { code?: string; userMessage?: string; message?: string };
    out.code = e.code ?? 'E_INTERNAL';
    out.message = e.userMessage ?? e.message ?? String(err);
  }
  out.seconds = (performance.now() - t0) / 1000;
  out.maxRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runCase(mode: 'eval' | 'analyze', checkpoint: string, dataset: string): CaseResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', mode, checkpoint, dataset], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as CaseResult;
  } catch {
    throw new Error(`the benchmark child failed (status ${r.status}):\n${r.stderr.slice(-2000)}`);
  }
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const gb = Number(process.env.SOFTMOE_BENCH_GB ?? '1.4');
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-bench-big-'));
  try {
    const wrong = join(dir, 'wide-1000-classes.safetensors');
    const right = join(dir, 'wide-10-classes.safetensors');
    const wrongSize = await writeSparseCheckpoint(wrong, gb * 1e9, 1000);
    const rightSize = await writeSparseCheckpoint(right, gb * 1e9, 10);
    console.log(`checkpoint: paper MNIST layout, n = ${N}, F32, ${mib(rightSize)} (${(rightSize / 1e9).toFixed(2)} GB), sparse; dataset: embedded demo set (10 classes), --limit 8; tfjs ${process.env.SOFTMOE_BENCH_BACKEND ?? 'wasm'}`);
    const rows: Array<[string, CaseResult, number]> = [
      ['classes ruled out by the header (model predicts 1000)', runCase('analyze', wrong, DEMO_DATA), wrongSize],
      ['dataset fits: open, load and evaluate (softmoe eval)', runCase('eval', right, DEMO_DATA), rightSize],
      ['dataset fits: open, load and analyse (Analyze Experts)', runCase('analyze', right, DEMO_DATA), rightSize],
    ];
    for (const [what, r, size] of rows) {
      console.log(`\n${what}`);
      console.log(`  outcome:          ${r.ok ? 'done' : `${r.code}: ${r.message}`}`);
      console.log(`  time:             ${r.seconds.toFixed(1)} s`);
      // Against the tensors the model reads when it loads (all of them here), else the file's size.
      const used = r.bytesReported > 0 ? r.bytesReported : size;
      const times = (v: number): string => `${v.toFixed(0)} MiB  (${(v * 2 ** 20 / used).toFixed(2)} × the ${mib(used)} of ${r.bytesReported > 0 ? 'tensors used' : 'the checkpoint'}; aim ≤ 2)`;
      if (r.loadedRssMiB !== null) console.log(`  peak RSS loaded:  ${times(r.loadedRssMiB)}`);
      console.log(`  peak RSS:         ${times(r.maxRssMiB)}`);
      console.log(`  bytes loaded:     ${r.progressEvents ? `${mib(r.bytesReported)} of ${mib(r.bytesTotal)} reported in ${r.progressEvents} progress events` : 'no loading progress reported'}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  void child(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
} else {
  void main();
}
