// What the test levels need from the machine, beyond npm packages, and what the test runner does when it is missing.
// Pure decisions (tested in test/unit/scripts/testPrereqs.test.ts) plus the probes and the install itself.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';

/**
 * Debian packages the levels need, each known by files it puts in place (a missing or empty file counts as missing).
 * The PyTorch engine's tests (unit and end-to-end) run /usr/bin/python3 with Debian's torch and numpy, unless
 * SOFTMOE_TEST_PYTHON names another interpreter or SOFTMOE_SKIP_TORCH=1 skips them.
 * @type {Array<{ pkg: string; why: string; levels: string[]; files: () => string[] }>}
 */
export const PREREQUISITES = [
  { pkg: 'chromium', why: 'the webview and end-to-end tests drive headless Chromium', levels: ['webview', 'e2e'], files: () => [process.env.SOFTMOE_CHROMIUM ?? '/usr/bin/chromium'] },
  { pkg: 'libkrb5-dev', why: 'code-server (end-to-end tests) builds a native module against these headers', levels: ['e2e'], files: () => ['/usr/include/krb5.h', '/usr/include/gssapi/gssapi.h'] },
  { pkg: 'ripgrep', why: 'code-server (end-to-end tests) is installed with a local rg', levels: ['e2e'], files: () => ['/usr/bin/rg'] },
  { pkg: 'python3-torch', why: "the PyTorch engine's tests run /usr/bin/python3 with torch", levels: ['unit', 'e2e'], files: () => debianPython('torch') },
  { pkg: 'python3-numpy', why: "torch's tensors from numpy in the PyTorch engine's tests and fixture generators", levels: ['unit', 'e2e'], files: () => debianPython('numpy') },
];

/** Debian's module files of `module` for /usr/bin/python3, or none when the torch tests use another Python or are skipped. */
function debianPython(module) {
  if (process.env.SOFTMOE_SKIP_TORCH === '1' || process.env.SOFTMOE_TEST_PYTHON) return [];
  return ['/usr/bin/python3', `/usr/lib/python3/dist-packages/${module}/__init__.py`];
}

/** A usable file: it exists, is not empty, and (for programs under a bin folder) may be executed. */
export function fileUsable(path) {
  try {
    const st = statSync(path);
    if (!st.isFile() || st.size === 0) return false;
    if (/\/bin\//.test(path)) accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The prerequisites of `levels` that are missing, by `usable(file)`. */
export function missingPrerequisites(levels, usable = fileUsable, table = PREREQUISITES) {
  return table.filter((p) => p.levels.some((l) => levels.includes(l)) && !p.files().every((f) => usable(f)));
}

/** The one command that installs `pkgs` (through sudo when not root). */
export function installCommand(pkgs, isRoot) {
  const apt = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${pkgs.join(' ')}`;
  return isRoot ? apt : `sudo sh -c '${apt}'`;
}

/**
 * What to do about missing prerequisites: run the tests, install the packages (root, apt-get present and a
 * non-interactive session: CI, a pipe, or SOFTMOE_INSTALL_DEPS=1), or stop with the command that installs them.
 * @param {{ missing: Array<{pkg: string; why: string}>; isRoot: boolean; hasAptGet: boolean; interactive: boolean; env: Record<string, string | undefined> }} s
 */
export function decide({ missing, isRoot, hasAptGet, interactive, env }) {
  if (missing.length === 0) return { action: 'run' };
  const pkgs = missing.map((p) => p.pkg);
  const list = missing.map((p) => `  ${p.pkg}: ${p.why}`).join('\n');
  if (!hasAptGet) {
    return { action: 'stop', message: `npm test needs these Debian packages, and this machine has no apt-get to install them:\n${list}\nInstall their equivalents (or set SOFTMOE_CHROMIUM to a Chromium binary), or skip a level with SOFTMOE_SKIP_WEBVIEW=1 / SOFTMOE_SKIP_E2E=1.` };
  }
  const allowed = env.SOFTMOE_INSTALL_DEPS !== '0' && isRoot && (!interactive || env.CI !== undefined || env.SOFTMOE_INSTALL_DEPS === '1');
  if (allowed) return { action: 'install', pkgs, message: `npm test: installing the Debian packages the tests need:\n${list}\n  (${installCommand(pkgs, true)})` };
  return { action: 'stop', message: `npm test needs these Debian packages, which are missing:\n${list}\nInstall them with:\n  ${installCommand(pkgs, isRoot)}\nthen run npm test again.` };
}

/** Run apt-get (SOFTMOE_APT_GET names another program, for tests of this path). True when both steps succeeded. */
export function aptInstall(pkgs, env = process.env) {
  const apt = env.SOFTMOE_APT_GET ?? 'apt-get';
  const opts = { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } };
  const update = spawnSync(apt, ['update', '-qq'], opts);
  if (update.status !== 0) return false;
  return spawnSync(apt, ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], opts).status === 0;
}

export function hasAptGet(env = process.env) {
  const apt = env.SOFTMOE_APT_GET ?? 'apt-get';
  return spawnSync('sh', ['-c', `command -v "${apt}"`], { stdio: 'ignore' }).status === 0;
}
