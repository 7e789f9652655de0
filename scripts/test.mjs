// Runs the test suites with Node's own test runner (TypeScript through tsx).
//   node scripts/test.mjs            every level: unit, webview (headless Chromium), e2e (code-server)
//   node scripts/test.mjs unit       one level (unit | webview | e2e)
// Levels whose prerequisites are missing (no Chromium, no code-server) fail with a message saying how to get them,
// unless SOFTMOE_SKIP_<LEVEL>=1 is set on purpose.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const levels = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'webview', 'e2e'];

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

const files = [];
for (const level of levels) {
  if (process.env[`SOFTMOE_SKIP_${level.toUpperCase()}`] === '1') {
    console.log(`(skipping ${level} tests: SOFTMOE_SKIP_${level.toUpperCase()}=1)`);
    continue;
  }
  files.push(...findTests(join(root, 'test', level)));
}
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files.map((f) => relative(root, f))];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env } });
process.exit(r.status ?? 1);
