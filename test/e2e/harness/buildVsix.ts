/**
 * Packages the extension the way a release does (scripts/package.mjs: production esbuild bundles, then `vsce package
 * --no-dependencies --target <this platform>`, with this platform's ONNX Runtime binary beside the bundle), in a staging folder so the repository's own dist/ (used by the other test levels) is
 * never rewritten while they run. Sources and node_modules are linked in, everything .vscodeignore may ship is
 * copied. Returns the path of the .vsix and what vsce printed.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './paths';

/** Only the build reads these: linked, never copied. */
const LINKED = ['src', 'webview', 'node_modules', 'tsconfig.json'];
/** Never part of a package, and large or changing under other test runs. */
const SKIPPED = new Set(['.git', '.cache', 'dist', 'out', 'test', 'test-results', 'bench', 'docs', 'scripts', 'softmoe-demo', 'runs', '.ci']);

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${r.status ?? r.signal}):\n${out.trim().split('\n').slice(-30).join('\n')}`);
  return out;
}

export interface BuiltVsix {
  vsix: string;
  /** vsce's report (warnings included). */
  log: string;
  dispose(): void;
}

/** SOFTMOE_E2E_VSIX=<file> tests that package (e.g. a release artefact) instead of building one. */
export function buildVsix(): BuiltVsix {
  const given = process.env.SOFTMOE_E2E_VSIX;
  if (given) {
    if (!existsSync(given)) throw new Error(`SOFTMOE_E2E_VSIX=${given}: no such file`);
    return { vsix: given, log: `using ${given} (SOFTMOE_E2E_VSIX)`, dispose: () => undefined };
  }
  const stage = mkdtempSync(join(tmpdir(), 'softmoe-vsix-'));
  try {
    for (const name of readdirSync(ROOT)) {
      if (SKIPPED.has(name) || name.endsWith('.vsix') || name.endsWith('.log')) continue;
      if (LINKED.includes(name)) symlinkSync(join(ROOT, name), join(stage, name));
      else cpSync(join(ROOT, name), join(stage, name), { recursive: true });
    }
    // The build script finds the project root from its own location: run a copy inside the stage.
    mkdirSync(join(stage, 'scripts'));
    for (const f of ['build.mjs', 'package.mjs']) cpSync(join(ROOT, 'scripts', f), join(stage, 'scripts', f));
    const vsce = join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    if (!existsSync(vsce)) throw new Error(`${vsce} not found: the dev dependency @vscode/vsce is missing (npm ci)`);
    const vsix = join(stage, 'softmoe-inspector.vsix');
    const log = run(process.execPath, [join(stage, 'scripts', 'package.mjs'), '--target', `${process.platform}-${process.arch}`, '--out', vsix], stage);
    if (!existsSync(vsix)) throw new Error(`vsce reported success but wrote no ${vsix}:\n${log}`);
    return { vsix, log, dispose: () => rmSync(stage, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(stage, { recursive: true, force: true });
    throw err;
  }
}
