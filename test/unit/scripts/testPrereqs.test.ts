// The test runner's prerequisite check (scripts/testPrereqs.mjs): which Debian packages a level needs, when it
// installs them itself, and that otherwise it stops before running anything with the one command that installs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { decide, installCommand, missingPrerequisites, PREREQUISITES } from '../../../scripts/testPrereqs.mjs';

const ROOT = join(__dirname, '../../..');
const none = (): boolean => false;
const all = (): boolean => true;

test('each level needs exactly its packages', () => {
  const pkgs = (levels: string[], usable: (f: string) => boolean) => missingPrerequisites(levels, usable).map((p) => p.pkg);
  const torch = process.env.SOFTMOE_SKIP_TORCH === '1' || process.env.SOFTMOE_TEST_PYTHON ? [] : ['python3-torch', 'python3-numpy'];
  assert.deepEqual(pkgs(['fuzz'], none), []);
  assert.deepEqual(pkgs(['unit'], none), torch);
  assert.deepEqual(pkgs(['webview'], none), ['chromium']);
  assert.deepEqual(pkgs(['e2e'], none), ['chromium', 'libkrb5-dev', 'ripgrep', ...torch]);
  assert.deepEqual(pkgs(['unit', 'fuzz', 'webview', 'e2e'], all), []);
  // One header of libkrb5-dev hidden is enough to need the package.
  assert.deepEqual(pkgs(['e2e'], (f) => f !== '/usr/include/gssapi/gssapi.h'), ['libkrb5-dev']);
  assert.ok(PREREQUISITES.every((p) => p.why.length > 0));
});

test("Debian's PyTorch is needed only while the torch tests run /usr/bin/python3", () => {
  const saved = { skip: process.env.SOFTMOE_SKIP_TORCH, python: process.env.SOFTMOE_TEST_PYTHON };
  const pkgs = () => missingPrerequisites(['unit'], none).map((p) => p.pkg);
  try {
    delete process.env.SOFTMOE_SKIP_TORCH;
    delete process.env.SOFTMOE_TEST_PYTHON;
    assert.deepEqual(pkgs(), ['python3-torch', 'python3-numpy']);
    assert.deepEqual(missingPrerequisites(['unit'], (f) => f !== '/usr/lib/python3/dist-packages/torch/__init__.py').map((p) => p.pkg), ['python3-torch']);
    process.env.SOFTMOE_SKIP_TORCH = '1';
    assert.deepEqual(pkgs(), [], 'SOFTMOE_SKIP_TORCH=1 skips those tests');
    delete process.env.SOFTMOE_SKIP_TORCH;
    process.env.SOFTMOE_TEST_PYTHON = '/opt/venv/bin/python';
    assert.deepEqual(pkgs(), [], 'another interpreter is the tests\' own business');
  } finally {
    for (const [k, v] of [['SOFTMOE_SKIP_TORCH', saved.skip], ['SOFTMOE_TEST_PYTHON', saved.python]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }
});

test('installs itself only as root, with apt-get, in a non-interactive session (or when asked)', () => {
  const missing = missingPrerequisites(['e2e'], none);
  const base = { missing, isRoot: true, hasAptGet: true, interactive: false, env: {} };
  const d = decide(base);
  assert.equal(d.action, 'install');
  assert.deepEqual(d.action === 'install' ? d.pkgs.slice(0, 3) : [], ['chromium', 'libkrb5-dev', 'ripgrep']);
  assert.match(d.action === 'install' ? d.message : '', /installing the Debian packages the tests need:\n {2}chromium: .*\n {2}libkrb5-dev: .*\n {2}ripgrep: /);
  assert.equal(decide({ ...base, interactive: true }).action, 'stop', 'a terminal session is asked, not installed into');
  assert.equal(decide({ ...base, interactive: true, env: { CI: 'true' } }).action, 'install');
  assert.equal(decide({ ...base, interactive: true, env: { SOFTMOE_INSTALL_DEPS: '1' } }).action, 'install');
  assert.equal(decide({ ...base, env: { SOFTMOE_INSTALL_DEPS: '0' } }).action, 'stop');
  assert.equal(decide({ ...base, isRoot: false }).action, 'stop');
  assert.equal(decide({ ...base, hasAptGet: false }).action, 'stop');
  assert.equal(decide({ ...base, missing: [] }).action, 'run');
});

test('otherwise it names the one command that installs what is missing', () => {
  const missing = missingPrerequisites(['webview'], none);
  const asUser = decide({ missing, isRoot: false, hasAptGet: true, interactive: true, env: {} });
  assert.equal(asUser.action, 'stop');
  assert.match(asUser.action === 'stop' ? asUser.message : '', /Install them with:\n {2}sudo sh -c 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium'\n/);
  assert.equal(installCommand(['chromium', 'ripgrep'], true), 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium ripgrep');
  const noApt = decide({ missing, isRoot: true, hasAptGet: false, interactive: false, env: {} });
  assert.match(noApt.action === 'stop' ? noApt.message : '', /no apt-get.*SOFTMOE_CHROMIUM/s);
});

test('the runner stops before running any test when a prerequisite is missing and it may not install', () => {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', 'webview'], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, SOFTMOE_CHROMIUM: '/nonexistent/chromium', SOFTMOE_INSTALL_DEPS: '0' },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /npm test needs these Debian packages, which are missing:\n {2}chromium: /);
  assert.match(r.stderr, /Install them with:\n {2}apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium\n/);
  assert.doesNotMatch(r.stdout, /# tests|▶|✔/, 'no test ran');
});

test('unknown levels are refused', () => {
  const r = spawnSync(process.execPath, ['scripts/test.mjs', 'everything'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown test level 'everything': use unit, fuzz, webview, e2e/);
});
