/**
 * Runs the built CLI (dist/cli.js) as a user would. The bundle is rebuilt with scripts/build.mjs only when it is
 * missing or older than a source file (`npm test` builds first, so test files never race to rebuild it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..', '..');
const CLI = join(ROOT, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  if (existsSync(CLI) && statSync(CLI).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Same as runCli, without blocking the event loop (for many files at once). */
export function runCliAsync(...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], {
      cwd: ROOT, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '' },
    }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ status: code, stdout, stderr });
    });
  });
}

/** Run `f` over `items`, at most `limit` at a time, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** A user error: non-zero exit, nothing on stdout, exactly one line on stderr starting with 'softmoe: '. */
export function assertOneLineError(r: CliResult): string {
  if (r.status === 0 || r.status === null) throw new Error(`expected a non-zero exit, got ${r.status}; stdout: ${r.stdout.slice(0, 200)}`);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  if (lines.length !== 1 || !lines[0].startsWith('softmoe: ')) throw new Error(`expected one 'softmoe: …' line on stderr, got: ${JSON.stringify(r.stderr)}`);
  if (r.stdout !== '') throw new Error(`expected no stdout on error, got ${JSON.stringify(r.stdout.slice(0, 200))}`);
  return lines[0];
}
