/**
 * Running one probe (a CLI command, a worker job) under the campaign's limits, and judging its outcome.
 *
 * Limits: a wall-clock timeout (a hang), a V8 heap cap (--max-old-space-size: "JavaScript heap out of memory") and an
 * RSS cap (typed arrays and wasm memory live outside the heap), checked by polling /proc every 20 ms.
 *
 * Verdicts: `accepted` (exit 0 and well-formed output), `refused` (a clean, specific refusal: a documented exit
 * status and ONE line `softmoe: <message>` under 300 characters that is not an internal error), or `failure` with
 * the reason. Nothing else is acceptable.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Limits {
  timeoutMs: number;
  heapMb: number;
  rssBytes: number;
}

export const DEFAULT_LIMITS: Limits = { timeoutMs: 20_000, heapMb: 1024, rssBytes: 2_000_000_000 };

export interface RunOutput {
  rc: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  ms: number;
  peakRss: number;
  timedOut: boolean;
  rssKilled: boolean;
}

const MAX_CAPTURE = 32 * 1024 * 1024;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Run `node <args>` with the heap cap, the timeout and the RSS cap. */
export function runNode(args: string[], limits: Limits, cwd: string): Promise<RunOutput> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [`--max-old-space-size=${limits.heapMb}`, ...args], {
      cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (stdout.length < MAX_CAPTURE) stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < MAX_CAPTURE) stderr += d.toString('utf8');
    });
    let peakRss = 0;
    let timedOut = false;
    let rssKilled = false;
    const poll = setInterval(() => {
      if (child.pid === undefined) return;
      const rss = rssOf(child.pid);
      if (rss > peakRss) peakRss = rss;
      if (rss > limits.rssBytes && !rssKilled) {
        rssKilled = true;
        child.kill('SIGKILL');
      }
    }, 20);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limits.timeoutMs);
    child.on('close', (rc, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ rc, signal, stdout, stderr, ms: Date.now() - t0, peakRss, timedOut, rssKilled });
    });
  });
}

export type Verdict = { kind: 'accepted' } | { kind: 'refused'; message: string } | { kind: 'failure'; reason: string };

/** The exit statuses of SoftMoeError codes other than E_INTERNAL and E_CANCELLED (src/core/errors.ts EXIT_CODES). */
const REFUSAL_STATUSES = new Set([2, 3, 4, 5, 6, 7, 8]);
export const MAX_MESSAGE = 300;

function tail(s: string, n = 300): string {
  const t = s.trim();
  return t.length > n ? `…${t.slice(-n)}` : t;
}

/** Judge the resource side of any run; undefined when it stayed within the limits and exited by itself. */
function limitFailure(o: RunOutput, limits: Limits): string | undefined {
  if (o.timedOut) return `hang: still running after ${(o.ms / 1000).toFixed(0)} s`;
  if (o.rssKilled) return `memory: RSS above ${(limits.rssBytes / 1e9).toFixed(1)} GB`;
  if (/heap out of memory|Allocation failed/i.test(o.stderr)) return `memory: JavaScript heap out of memory (${limits.heapMb} MiB heap)`;
  if (o.signal) return `crash: killed by ${o.signal} (${tail(o.stderr, 200)})`;
  return undefined;
}

/** A refusal message must be one line, specific, short, and not an internal error. */
export function messageProblem(message: string): string | undefined {
  if (message.length >= MAX_MESSAGE) return `unclear: message of ${message.length} characters (${message.slice(0, 120)}…)`;
  if (/Internal error|is not a function|Cannot read properties|undefined|\[object Object\]/.test(message)) return `crash: ${message}`;
  return undefined;
}

/** A CLI run: `inspect --json` must print valid JSON when it exits 0; every run must refuse cleanly otherwise. */
export function judgeCli(o: RunOutput, limits: Limits, expectJson: boolean): Verdict {
  const lf = limitFailure(o, limits);
  if (lf) return { kind: 'failure', reason: lf };
  const stderr = o.stderr.replace(/\r/g, '');
  if (o.rc === 0) {
    if (expectJson) {
      try {
        JSON.parse(o.stdout);
      } catch (err) {
        return { kind: 'failure', reason: `invalid JSON: inspect --json exited 0 without valid JSON on stdout (${(err as Error).message})` };
      }
    } else if (!/accuracy/.test(o.stdout)) {
      return { kind: 'failure', reason: `accepted without a result: ${tail(o.stdout, 200)}` };
    }
    return { kind: 'accepted' };
  }
  // Warnings printed before the refusal (a preprocessing default, say) are not the refusal's message.
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('softmoe: warning: '));
  if (o.rc === null || !REFUSAL_STATUSES.has(o.rc)) return { kind: 'failure', reason: `crash: exit status ${o.rc}: ${tail(stderr)}` };
  if (lines.length !== 1 || !lines[0]!.startsWith('softmoe: ')) return { kind: 'failure', reason: `unclear: ${lines.length} lines on stderr: ${tail(stderr)}` };
  const message = lines[0]!.slice('softmoe: '.length);
  const bad = messageProblem(message);
  return bad ? { kind: 'failure', reason: bad } : { kind: 'refused', message };
}

/** A worker-job run (workerProbe.ts prints one JSON line with the job's terminal message). */
export function judgeWorker(o: RunOutput, limits: Limits): Verdict {
  const lf = limitFailure(o, limits);
  if (lf) return { kind: 'failure', reason: lf };
  const line = o.stdout.trim().split('\n').pop() ?? '';
  let r: { terminal?: string; code?: string; userMessage?: string };
  try {
    r = JSON.parse(line) as typeof r;
  } catch {
    return { kind: 'failure', reason: `crash: the worker probe printed no verdict (exit ${o.rc}): ${tail(o.stderr)}` };
  }
  if (r.terminal === 'inspected' || r.terminal === 'result') return { kind: 'accepted' };
  if (r.terminal !== 'error' || typeof r.userMessage !== 'string') return { kind: 'failure', reason: `crash: worker answered ${line.slice(0, 200)}` };
  if (r.code === 'E_INTERNAL' || r.code === 'E_CANCELLED') return { kind: 'failure', reason: `crash: worker job ${r.code}: ${r.userMessage.slice(0, 200)}` };
  if (r.userMessage.includes('\n')) return { kind: 'failure', reason: `unclear: worker message of several lines: ${r.userMessage.slice(0, 200)}` };
  const bad = messageProblem(r.userMessage);
  return bad ? { kind: 'failure', reason: bad } : { kind: 'refused', message: r.userMessage };
}
