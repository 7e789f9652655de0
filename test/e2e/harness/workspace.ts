/** A throw-away workspace: the fixture skeleton plus runs of the embedded demo suite, and snapshots of it. */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEMO_MODELS, WORKSPACE_FIXTURE } from './paths';

/**
 * Copies the skeleton into `dir` and each run `n<N>` of the demo suite to `dir/n<N>/`, and merges `settings`
 * into the workspace settings.
 */
export function makeWorkspace(dir: string, runs: string[], settings: Record<string, unknown> = {}): string {
  cpSync(WORKSPACE_FIXTURE, dir, { recursive: true });
  for (const run of runs) {
    const src = join(DEMO_MODELS, run);
    if (!existsSync(src)) throw new Error(`demo run ${src} is missing (the demo suite lives in media/demo/models/n<N>/)`);
    mkdirSync(join(dir, run), { recursive: true });
    for (const f of readdirSync(src)) cpSync(join(src, f), join(dir, run, f));
  }
  const file = join(dir, '.vscode', 'settings.json');
  const current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...current, ...settings }, null, 2));
  return dir;
}

/** path → size and mtime of every file below `dir`, to show that nothing was written. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out[relative(dir, p)] = `${s.size} bytes, mtime ${s.mtimeMs}`;
    }
  };
  walk(dir);
  return out;
}

/** Every file the extension wrote into its result cache (workspace storage of `user-data-dir`). */
export function cachedResults(userDataDir: string): string[] {
  const storage = join(userDataDir, 'User', 'workspaceStorage');
  const found: string[] = [];
  if (!existsSync(storage)) return found;
  for (const ws of readdirSync(storage)) {
    for (const ext of ['softmoe-inspector.softmoe-inspector']) {
      const dir = join(storage, ws, ext, 'results');
      if (existsSync(dir)) for (const f of readdirSync(dir)) found.push(join(dir, f));
    }
  }
  return found.sort();
}
