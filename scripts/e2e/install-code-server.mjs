// Installs code-server (VS Code in the browser) for the end-to-end tests into a cache folder, outside the
// project's own dependencies, so users of the extension never download it. Idempotent: returns at once when the
// right version is already there. Works offline except for the npm registry, as follows:
//   - ripgrep comes from Debian (/usr/bin/rg), packed where @vscode/ripgrep looks before it would download;
//   - npm 11 blocks dependency install scripts unless allowed: the cache folder's package.json allows code-server's
//     and argon2's; the postinstall needs npm_config_unsafe_perm=true when run as root.
//
//   node scripts/e2e/install-code-server.mjs        prints the path of the code-server binary
//   import { ensureCodeServer } from './install-code-server.mjs'
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
const RIPGREP_VERSION = '1.15.11';
const RIPGREP_ASSET = 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz';
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_CACHE = join(ROOT, '.cache', 'code-server');

function binaryOf(dir) {
  return join(dir, 'node_modules', '.bin', 'code-server');
}

function installedVersion(dir) {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', 'code-server', 'package.json'), 'utf8'));
    // The postinstall builds the VS Code part; without it the binary starts but cannot serve the workbench.
    if (!existsSync(join(dir, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules'))) return null;
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

/** npm settings worth keeping from an outer npm (where packages come from, and how to reach it). */
const KEPT_NPM_CONFIG = new Set(['registry', 'cafile', 'ca', 'userconfig', 'globalconfig', 'cache', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl']);

/**
 * The environment without what an outer `npm test` puts there: npm_config_local_prefix would make the inner
 * npm install into the project itself, and empty npm_config_allow_scripts / npm_config_yes would override ours.
 */
function cleanEnv(env) {
  const out = {};
  for (const [k, v] of Object.entries(env)) {
    const m = /^npm_config_(.*)$/i.exec(k);
    if (m ? !KEPT_NPM_CONFIG.has(m[1].toLowerCase()) : /^npm_(package|lifecycle|command|execpath|node_execpath)/i.test(k) || k === 'INIT_CWD') continue;
    out[k] = v;
  }
  return out;
}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal}):\n${out}`);
  }
  return r.stdout;
}

/** A folder lock (mkdir is atomic) so parallel test files do not install at the same time. */
async function withLock(dir, fn) {
  const lock = join(dir, '.install-lock');
  const deadline = Date.now() + 10 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 10 minutes belongs to a killed install.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
      if (Date.now() > deadline) throw new Error(`waited 10 minutes for ${lock}; remove it if no install is running`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Makes sure code-server CODE_SERVER_VERSION is installed in `dir` and returns the path of its binary.
 * Throws an error that says what is missing (ripgrep, libkrb5-dev, the registry) when it cannot.
 */
export async function ensureCodeServer(dir = process.env.SOFTMOE_CODE_SERVER_DIR || DEFAULT_CACHE, log = (m) => process.stderr.write(`${m}\n`)) {
  mkdirSync(dir, { recursive: true });
  if (installedVersion(dir) === CODE_SERVER_VERSION) return binaryOf(dir);
  return withLock(dir, async () => {
    if (installedVersion(dir) === CODE_SERVER_VERSION) return binaryOf(dir);
    const rg = ['/usr/bin/rg', '/usr/local/bin/rg'].find((p) => existsSync(p));
    if (!rg) throw new Error('ripgrep not found: apt-get install -y ripgrep (code-server needs it and must not download it)');
    if (!existsSync('/usr/include/krb5.h') && !existsSync('/usr/include/gssapi/gssapi.h')) {
      log('warning: libkrb5-dev headers not found (apt-get install -y libkrb5-dev); the install may fail building a native module');
    }
    const started = Date.now();
    log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (about a minute)…`);
    writeFileSync(join(dir, 'package.json'), `${JSON.stringify({
      name: 'e2e-code-server', private: true, description: 'code-server for the end-to-end tests only (not a dependency of the extension)',
      allowScripts: { 'code-server': true, argon2: true },
    }, null, 2)}\n`);
    // @vscode/ripgrep looks in $TMPDIR/vscode-ripgrep-cache-<version>/ before downloading.
    const tmp = mkdtempSync(join(tmpdir(), 'softmoe-cs-install-'));
    try {
      const rgCache = join(tmp, `vscode-ripgrep-cache-${RIPGREP_VERSION}`);
      mkdirSync(rgCache, { recursive: true });
      run('tar', ['-czf', join(rgCache, RIPGREP_ASSET), '-C', dirname(rg), 'rg']);
      const env = { ...cleanEnv(process.env), TMPDIR: tmp, npm_config_yes: 'true', npm_config_unsafe_perm: 'true', npm_config_audit: 'false', npm_config_fund: 'false' };
      const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
      run(npm, ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], { cwd: dir, env });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    const v = installedVersion(dir);
    if (v !== CODE_SERVER_VERSION) throw new Error(`code-server install in ${dir} finished but reports version ${v ?? 'none'} (wanted ${CODE_SERVER_VERSION})`);
    const printed = run(binaryOf(dir), ['--version'], { env: { ...process.env } }).trim().split('\n')[0];
    log(`code-server ${printed} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return binaryOf(dir);
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  ensureCodeServer().then((bin) => console.log(bin), (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
