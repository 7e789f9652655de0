/**
 * The mutation-fuzzing campaign: cases from a fixed seed (cases.ts), each run through the built CLI
 * (`inspect --json`, `eval`) and through the extension's worker job runner, under a timeout, a heap cap and an RSS
 * cap (exec.ts); after every run the case's files must be unchanged and no payload marker may exist.
 *
 *   npm run fuzz -- [--seed 1] [--cases N | --minutes M] [--jobs 1] [--timeout 20] [--out fuzz-results]
 *   (npm run fuzz builds first; the campaign needs dist/cli.js and dist/worker.js)
 *
 * Prints the counts (cases, runs, accepted, refused, failures) and, for each failure, the case, what was mutated
 * and why it failed; failing cases are kept under --out with a report.json. `npm test` runs a short campaign
 * (test/fuzz/shortCampaign.test.ts).
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { DIST, ROOT } from './corpus';
import { makeCase, regularFiles, type FuzzCase } from './cases';
import { DEFAULT_LIMITS, judgeCli, judgeWorker, runNode, type Limits, type Verdict } from './exec';

export interface Probe {
  name: 'inspect --json' | 'eval' | 'worker inspect' | 'worker analyze';
  args: string[];
}

export interface Failure {
  index: number;
  probe: Probe['name'];
  notes: string[];
  reason: string;
}

export interface Summary {
  seed: number;
  cases: number;
  runs: number;
  accepted: number;
  refused: number;
  failures: Failure[];
  seconds: number;
}

export interface CampaignOptions {
  seed: number;
  /** Stop after this many cases… */
  cases?: number;
  /** …or after this many minutes (whichever comes first). */
  minutes?: number;
  /** First case index (to re-run one case: --first I --cases 1). */
  first?: number;
  jobs?: number;
  limits?: Limits;
  /** Keep failing cases here. */
  out?: string;
  log?: (line: string) => void;
}

const CLI = join(DIST, 'cli.js');
const WORKER = join(DIST, 'worker.js');
const PROBE = join(ROOT, '.cache', 'fuzz', 'workerProbe.js');
const MARKER_DIR = '/tmp';

function markers(): string[] {
  return readdirSync(MARKER_DIR).filter((f) => f.startsWith('softmoe-pwned-'));
}

/** Hash of every regular file of the case (special files and links are listed, never opened). */
function fingerprint(dir: string): string {
  const h = createHash('sha256');
  for (const f of regularFiles(dir)) h.update(f).update(readFileSync(join(dir, f)));
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (!st.isFile()) h.update(`special ${p} ${st.mode}`);
    }
  };
  walk(dir);
  return h.digest('hex');
}

/** Bundle the worker probe (the extension's own worker client) once per campaign. */
export async function prepare(): Promise<void> {
  for (const f of [CLI, WORKER]) if (!existsSync(f)) throw new Error(`${f} is missing: run npm run build first`);
  mkdirSync(join(ROOT, '.cache', 'fuzz'), { recursive: true });
  await build({
    entryPoints: [join(__dirname, 'workerProbe.ts')], outfile: PROBE, bundle: true, platform: 'node', format: 'cjs',
    target: 'node20', logLevel: 'warning',
  });
}

export function probesFor(c: FuzzCase): Probe[] {
  const target = join(c.dir, c.seed.target);
  if (c.seed.kind === 'checkpoint') {
    return [
      { name: 'inspect --json', args: [CLI, 'inspect', '--json', target] },
      { name: 'eval', args: [CLI, 'eval', target, '--data', c.seed.partner, '--limit', '16', '--batch', '8'] },
      { name: 'worker inspect', args: [PROBE, WORKER, JSON.stringify({ type: 'inspect', path: target })] },
    ];
  }
  const job = {
    type: 'analyze', checkpoint: c.seed.partner, dataset: target,
    settings: { drops: ['zero'], selectors: ['heuristic'], trials: 1, seed: 0, limit: 24, target: 0.99, samples: 2 },
    execution: { batchSize: 8, backend: 'auto' },
  };
  return [
    { name: 'eval', args: [CLI, 'eval', c.seed.partner, '--data', target, '--limit', '48', '--batch', '16'] },
    { name: 'worker analyze', args: [PROBE, WORKER, JSON.stringify(job)] },
  ];
}

/** Run one probe and judge it, including the files-unchanged and no-payload checks. */
export async function runProbe(c: FuzzCase, p: Probe, limits: Limits): Promise<Verdict> {
  const before = fingerprint(c.dir);
  let o = await runNode(p.args, limits, c.dir);
  // A shared machine can be slow: a run past the timeout is a hang only if it also runs past three times it.
  if (o.timedOut) o = await runNode(p.args, { ...limits, timeoutMs: 3 * limits.timeoutMs }, c.dir);
  let v = p.name.startsWith('worker') ? judgeWorker(o, limits) : judgeCli(o, limits, p.name === 'inspect --json');
  if (fingerprint(c.dir) !== before) v = { kind: 'failure', reason: 'changed file: a file of the case was modified' };
  const m = markers();
  if (m.length) v = { kind: 'failure', reason: `code execution: ${m.join(', ')} exists` };
  return v;
}

export async function campaign(opts: CampaignOptions): Promise<Summary> {
  const limits = opts.limits ?? DEFAULT_LIMITS;
  const log = opts.log ?? (() => undefined);
  await prepare();
  for (const m of markers()) rmSync(join(MARKER_DIR, m));
  const work = mkdtempSync(join(tmpdir(), 'softmoe-fuzz-'));
  const t0 = Date.now();
  const deadline = opts.minutes ? t0 + opts.minutes * 60_000 : Infinity;
  const last = (opts.first ?? 0) + (opts.cases ?? Number.MAX_SAFE_INTEGER);
  const summary: Summary = { seed: opts.seed, cases: 0, runs: 0, accepted: 0, refused: 0, failures: [], seconds: 0 };
  let next = opts.first ?? 0;
  const worker = async (): Promise<void> => {
    while (next < last && Date.now() < deadline) {
      const index = next++;
      const c = makeCase(opts.seed, index, work);
      let failed = false;
      for (const p of probesFor(c)) {
        const v = await runProbe(c, p, limits);
        summary.runs++;
        if (v.kind === 'accepted') summary.accepted++;
        else if (v.kind === 'refused') summary.refused++;
        else {
          failed = true;
          summary.failures.push({ index, probe: p.name, notes: c.notes, reason: v.reason });
          log(`FAIL case ${index} ${p.name}: ${v.reason}\n     ${c.notes.join('\n     ')}`);
        }
      }
      summary.cases++;
      if (failed && opts.out) keep(c, opts.out, summary.failures.filter((f) => f.index === index));
      rmSync(c.dir, { recursive: true, force: true });
      if (summary.cases % 50 === 0) log(`${summary.cases} cases, ${summary.runs} runs: ${summary.refused} refused, ${summary.accepted} accepted, ${summary.failures.length} failures (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.jobs ?? 1) }, worker));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  summary.seconds = (Date.now() - t0) / 1000;
  return summary;
}

function keep(c: FuzzCase, out: string, failures: Failure[]): void {
  const dest = join(out, `case-${c.index}`);
  mkdirSync(dest, { recursive: true });
  for (const f of regularFiles(c.dir)) cpSync(join(c.dir, f), join(dest, 'files', f));
  writeFileSync(join(dest, 'report.json'), `${JSON.stringify({ index: c.index, seed: c.seed.id, notes: c.notes, failures }, null, 2)}\n`);
}

export function formatSummary(s: Summary): string {
  const lines = [
    `seed ${s.seed}: ${s.cases} cases, ${s.runs} runs in ${s.seconds.toFixed(0)} s`,
    `  refused ${s.refused}, accepted ${s.accepted}, failures ${s.failures.length}`,
  ];
  for (const f of s.failures) lines.push(`  case ${f.index} (${f.probe}): ${f.reason}\n      ${f.notes.join('\n      ')}`);
  return `${lines.join('\n')}\n`;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const num = (name: string): number | undefined => (arg(name) === undefined ? undefined : Number(arg(name)));
  const timeout = num('timeout');
  void campaign({
    seed: num('seed') ?? 1,
    cases: num('cases'),
    minutes: num('minutes') ?? (num('cases') === undefined ? 25 : undefined),
    first: num('first'),
    jobs: num('jobs') ?? 1,
    limits: { ...DEFAULT_LIMITS, ...(timeout ? { timeoutMs: timeout * 1000 } : {}) },
    out: arg('out') ?? join(ROOT, 'test-results', 'fuzz'),
    log: (l) => process.stderr.write(`${l}\n`),
  }).then((s) => {
    process.stdout.write(formatSummary(s));
    process.exitCode = s.failures.length ? 1 : 0;
  }, (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 2;
  });
}
