// Runs the test suites with Node's own test runner (TypeScript through tsx).
//   node scripts/test.mjs            every level: unit, fuzz (short campaign + regressions), webview (headless
//                                    Chromium), e2e (code-server)
//   node scripts/test.mjs unit       one level (unit | fuzz | webview | e2e)
// Before running anything it checks what the levels need from the machine (Debian chromium, libkrb5-dev, ripgrep, python3-torch:
// scripts/testPrereqs.mjs). Missing ones are installed with apt-get when it may (root, apt-get present, a
// non-interactive session such as CI; SOFTMOE_INSTALL_DEPS=1 allows it in a terminal, =0 never), saying what it
// installs; otherwise it stops with the one command that installs them. SOFTMOE_SKIP_<LEVEL>=1 skips a level.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aptInstall, decide, hasAptGet, missingPrerequisites } from './testPrereqs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const LEVELS = ['unit', 'fuzz', 'webview', 'e2e'];
const asked = process.argv.slice(2).length ? process.argv.slice(2) : LEVELS;
for (const l of asked) {
  if (!LEVELS.includes(l)) {
    console.error(`unknown test level '${l}': use ${LEVELS.join(', ')}`);
    process.exit(2);
  }
}

const levels = asked.filter((level) => {
  if (process.env[`SOFTMOE_SKIP_${level.toUpperCase()}`] !== '1') return true;
  console.log(`(skipping ${level} tests: SOFTMOE_SKIP_${level.toUpperCase()}=1)`);
  return false;
});

let missing = missingPrerequisites(levels);
const decision = decide({
  missing, isRoot: process.getuid?.() === 0, hasAptGet: hasAptGet(), interactive: Boolean(process.stdin.isTTY), env: process.env,
});
if (decision.action === 'stop') {
  console.error(decision.message);
  process.exit(1);
}
if (decision.action === 'install') {
  console.log(decision.message);
  missing = aptInstall(decision.pkgs) ? missingPrerequisites(levels) : missing;
  if (missing.length) {
    console.error(`npm test: ${missing.map((p) => p.pkg).join(', ')} still missing after apt-get; see its output above.`);
    process.exit(1);
  }
}
if (levels.includes('fuzz') && !existsSync(join(root, 'dist', 'cli.js'))) {
  console.error('the fuzz tests run the built CLI: run npm run build first (npm test builds before testing)');
  process.exit(1);
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

const files = levels.flatMap((level) => findTests(join(root, 'test', level)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(root, f))];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env } });
process.exit(r.status ?? 1);
