/**
 * The whole `softmoe analyze` run (heuristic + 10 random trials, every k, zero drop, the 10,000 Fashion-MNIST test
 * images, the paper's n = 16 MNIST model) against the same analysis done the way the paper's code does it in
 * PyTorch (bench/pytorch/analyze_paper_style.py: masked forward passes recomputing the experts per k and trial,
 * random subsets vectorised, one thread), both as whole processes. Prints both times, the ratio (goal ≤ 0.2) and
 * whether the heuristic accuracies are identical.
 *   npm run bench -- analyze         (SOFTMOE_BENCH_MODEL / SOFTMOE_BENCH_DATA override the model and data)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const model = process.env.SOFTMOE_BENCH_MODEL ?? join(root, 'test', 'fixtures', 'engine', 'mnist_n16', 'model.safetensors');
const data = process.env.SOFTMOE_BENCH_DATA ?? '/usr/share/datasets/fashion-mnist';
const python = '/usr/bin/python3';

function skip(why: string): never {
  console.log(`analyze bench skipped: ${why}`);
  process.exit(0);
}

if (!existsSync(join(data, 't10k-images-idx3-ubyte.gz'))) skip(`no Fashion-MNIST at ${data} (apt-get install dataset-fashion-mnist)`);
if (!existsSync(model)) skip(`no model at ${model}`);

// Prefer the bundled CLI (what users run); rebuild it when the sources are newer.
const cli = join(root, 'dist', 'cli.js');
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'pipe' });
const useDist = build.status === 0 && existsSync(cli) && statSync(cli).mtimeMs > Date.now() - 10 * 60_000;
const softmoe = useDist ? [cli] : ['--import', 'tsx', join(root, 'src', 'cli', 'main.ts')];
const dir = mkdtempSync(join(tmpdir(), 'softmoe-bench-'));
const out = join(dir, 'result.json');

function timed(cmd: string, args: string[]): { seconds: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) {
    console.error(r.stderr);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  }
  return { seconds, stdout: r.stdout };
}

try {
  const js = timed(process.execPath, [...softmoe, 'analyze', model, '--data', data, '--selectors', 'heuristic,random', '--trials', '10', '--drop', 'zero', '--json', out]);
  const ours = JSON.parse(readFileSync(out, 'utf8')) as { numExamples: number; tool: { backend: string }; timing: { seconds: number }; curves: Array<{ selector: string; drop: string; points: Array<{ correct: number }> }> };
  const heurJs = ours.curves.find((c) => c.selector === 'heuristic' && c.drop === 'zero')!.points.map((p) => p.correct);
  if (!existsSync(python)) skip(`softmoe analyze took ${js.seconds.toFixed(2)} s; no PyTorch at ${python} to compare with`);
  const py = timed(python, [join(root, 'bench', 'pytorch', 'analyze_paper_style.py'), model, '--data', data, '--trials', '10', '--drop', 'zero']);
  const line = py.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  const ref = JSON.parse((line ?? 'RESULT {}').slice(7)) as { heuristic: { zero: number[] }; num_examples: number };
  const same = JSON.stringify(ref.heuristic.zero) === JSON.stringify(heurJs);
  console.log(`examples                 ${ours.numExamples} (PyTorch: ${ref.num_examples})`);
  console.log(`softmoe analyze          ${js.seconds.toFixed(2)} s whole process (${useDist ? 'dist/cli.js' : 'tsx'}, backend ${ours.tool.backend}; analysis ${ours.timing.seconds.toFixed(2)} s)`);
  console.log(`PyTorch, paper's way     ${py.seconds.toFixed(2)} s whole process (1 thread)`);
  console.log(`ratio                    ${(js.seconds / py.seconds).toFixed(3)}× (goal ≤ 0.2×)`);
  console.log(`heuristic accuracies     ${same ? 'identical' : 'DIFFERENT'} for every k`);
  if (!same) {
    console.log(`  softmoe: ${heurJs.join(' ')}\n  PyTorch: ${ref.heuristic.zero.join(' ')}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
