/**
 * The packaged extension's own analysis against the CLI's, on one job: Analyze Experts' worker (extension/dist/worker.js
 * of a .vsix, with the ONNX Runtime and the pool worker the package carries) is sent the analyze job the extension
 * sends, and `softmoe analyze` (dist/cli.js) runs the same options — and, for the default job, the best vectorised
 * PyTorch (bench/pytorch/analyze_mnist.py, one thread) — each printing its engine label (what backend, how many
 * engines) and its own time, alternating, median of 3.
 *
 *   npm run package -- --target linux-x64 -o /tmp/softmoe.vsix
 *   SOFTMOE_BENCH_VSIX=/tmp/softmoe.vsix npm run bench -- vsix
 *
 * SOFTMOE_BENCH_CHECKPOINT and SOFTMOE_BENCH_DATA choose the job (default issue 12's first row: the paper's MNIST
 * n = 16 fixture on Fashion-MNIST's 60,000 training images — given as the images,labels pair, since the extension
 * analyses a folder's test split — heuristic + 10 random trials, every k, zero drop).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const VSIX = process.env.SOFTMOE_BENCH_VSIX;
const CHECKPOINT = process.env.SOFTMOE_BENCH_CHECKPOINT ?? join(ROOT, 'test', 'fixtures', 'engine', 'mnist_n16', 'model.safetensors');
const FASHION = '/usr/share/datasets/fashion-mnist';
const DATA = process.env.SOFTMOE_BENCH_DATA ?? `${FASHION}/train-images-idx3-ubyte.gz,${FASHION}/train-labels-idx1-ubyte.gz`;
const settings = { drops: ['zero'], selectors: ['heuristic', 'random'], trials: 10, seed: 0, limit: null, target: 0.99, samples: 0 };

interface Timed { seconds: number; engine: string; fullCorrect: number }

/**
 * One analyze job through the packaged worker, as the extension's workerClient sends it, from a plain Node process
 * (as the extension host is: this benchmark runs under tsx, whose loader hooks would slow every thread it starts).
 */
function viaWorker(workerFile: string): Timed {
  const harness = `
    const { Worker } = require('node:worker_threads');
    const job = ${JSON.stringify({ type: 'analyze', id: 1, checkpoint: CHECKPOINT, dataset: DATA, settings, execution: { batchSize: 256, backend: 'auto' } })};
    const worker = new Worker(${JSON.stringify(workerFile)}, { stdout: false, stderr: false });
    worker.on('message', (m) => {
      if (m.type === 'hello') worker.postMessage(job);
      else if (m.type === 'result') {
        const r = m.result;
        process.stdout.write(JSON.stringify({ seconds: r.timing.seconds, engine: (r.tool.engine || {}).label || '?', fullCorrect: r.fullCorrect }));
        worker.terminate();
      } else if (m.type === 'error') {
        process.stderr.write(m.error.userMessage || 'the worker failed');
        process.exitCode = 1;
        worker.terminate();
      }
    });`;
  const r = spawnSync(process.execPath, ['-e', harness], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the packaged worker failed: ${r.stderr.slice(-1000)}`);
  return JSON.parse(r.stdout) as Timed;
}

function viaCli(out: string): Timed {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'analyze', CHECKPOINT, '--data', DATA, '--split', 'test',
    '--selectors', 'heuristic,random', '--trials', '10', '--drop', 'zero', '--samples', '0', '--seed', '0', '--json', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`softmoe analyze failed: ${r.stderr.slice(-1000)}`);
  const j = JSON.parse(readFileSync(out, 'utf8')) as { timing: { seconds: number }; tool: { engine?: { label: string } }; fullCorrect: number };
  return { seconds: j.timing.seconds, engine: j.tool.engine?.label ?? '?', fullCorrect: j.fullCorrect };
}

/** The best vectorised PyTorch doing the same work (bench/pytorch/analyze_mnist.py, one thread): default job only. */
function viaTorch(): number | null {
  if (process.env.SOFTMOE_BENCH_DATA || process.env.SOFTMOE_BENCH_CHECKPOINT) return null;
  const r = spawnSync('/usr/bin/python3', [join(ROOT, 'bench', 'pytorch', 'analyze_mnist.py'), CHECKPOINT, FASHION, '--split', 'train', '--trials', '10', '--drop', 'zero'],
    { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return r.status === 0 && line ? (JSON.parse(line.slice(7)) as { seconds: number }).seconds : null;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

async function main(): Promise<void> {
  if (!VSIX) {
    console.log('SOFTMOE_BENCH_VSIX is not set: build a package (npm run package -- --target linux-x64 -o /tmp/softmoe.vsix) and give its path.');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-bench-vsix-'));
  try {
    const unz = spawnSync('unzip', ['-q', VSIX, '-d', dir], { encoding: 'utf8' });
    if (unz.status !== 0) throw new Error(`unzip ${VSIX} failed: ${unz.stderr}`);
    const workerFile = join(dir, 'extension', 'dist', 'worker.js');
    const ext: Timed[] = [];
    const cli: Timed[] = [];
    const torch: number[] = [];
    for (let i = 0; i < 3; i++) {
      const a = viaWorker(workerFile);
      ext.push(a);
      console.log(`  run ${i + 1}: extension ${a.seconds.toFixed(2)} s (${a.engine}; load ${loadavg()[0]?.toFixed(1)})`);
      const b = viaCli(join(dir, 'cli.json'));
      cli.push(b);
      console.log(`         CLI       ${b.seconds.toFixed(2)} s (${b.engine}; load ${loadavg()[0]?.toFixed(1)})`);
      const t = viaTorch();
      if (t !== null) {
        torch.push(t);
        console.log(`         PyTorch   ${t.toFixed(2)} s (1 thread; load ${loadavg()[0]?.toFixed(1)})`);
      }
    }
    const same = ext.every((e) => e.fullCorrect === cli[0]?.fullCorrect) && cli.every((c) => c.fullCorrect === cli[0]?.fullCorrect);
    const e = median(ext.map((x) => x.seconds));
    const c = median(cli.map((x) => x.seconds));
    const vs = torch.length ? `, PyTorch ${median(torch).toFixed(2)} s: ratio ${(e / median(torch)).toFixed(2)}× (extension) and ${(c / median(torch)).toFixed(2)}× (CLI)` : '';
    console.log(`median: packaged extension ${e.toFixed(2)} s, CLI ${c.toFixed(2)} s${vs}; full-model correct ${same ? 'identical' : 'DIFFERENT'} (${cli[0]?.fullCorrect})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
