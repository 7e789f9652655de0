import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { SIDECAR_MAX_BYTES, jsonErrorOffset, readSidecars } from '../../../src/core/model/sidecar';
import { SoftMoeError } from '../../../src/core/errors';

function folder(files: Record<string, string | Buffer>): { dir: string; ckpt: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-sidecar-'));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return { dir, ckpt: join(dir, 'model.safetensors'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function configError(files: Record<string, string | Buffer>): Promise<string> {
  const f = folder(files);
  try {
    await readSidecars(f.ckpt);
  } catch (err) {
    assert.ok(err instanceof SoftMoeError);
    assert.equal(err.code, 'E_CONFIG');
    assert.doesNotMatch(err.userMessage, /\n/);
    return err.userMessage;
  } finally {
    f.done();
  }
  assert.fail('expected E_CONFIG');
}

test('reads the three sidecars that exist, and only those', async () => {
  const f = folder({ 'args.json': '{"num_experts": 8, "lr": 0.001}', 'softmoe.json': '\ufeff{"architecture": "vit-softmoe"}' });
  try {
    const s = await readSidecars(f.ckpt);
    assert.deepEqual(s.args, { num_experts: 8, lr: 0.001 });
    assert.equal(s.config, undefined);
    assert.deepEqual(s.softmoe, { architecture: 'vit-softmoe' });
    assert.deepEqual(s.files, [join(f.dir, 'args.json'), join(f.dir, 'softmoe.json')]);
  } finally {
    f.done();
  }
  const empty = folder({});
  try {
    assert.deepEqual(await readSidecars(empty.ckpt), { files: [] });
  } finally {
    empty.done();
  }
});

test('malformed JSON names the file and the line and column', async () => {
  const m = await configError({ 'config.json': '{\n  "embed_dim": 64,\n  "depth": ,\n}' });
  assert.match(m, /config\.json: invalid JSON at line 3 column 12/);
  const end = await configError({ 'args.json': '{"a": [1, 2' });
  assert.match(end, /args\.json: invalid JSON at line 1 column 12/);
  assert.equal(jsonErrorOffset('{"a": 1}'), null);
  assert.equal(jsonErrorOffset('{"a": tru}'), 9);
});

test('not an object, not UTF-8, too big, not a file: E_CONFIG naming the file', async () => {
  assert.match(await configError({ 'softmoe.json': '[1, 2]' }), /softmoe\.json: expected a JSON object .* found an array/);
  assert.match(await configError({ 'config.json': Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }), /config\.json is not UTF-8/);
  assert.match(await configError({ 'config.json': `{"pad": "${'x'.repeat(SIDECAR_MAX_BYTES)}"}` }), /config\.json is \d+ bytes; .*limited/);
  const f = folder({});
  mkdirSync(join(f.dir, 'args.json'));
  try {
    await assert.rejects(readSidecars(f.ckpt), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CONFIG' && /args\.json is not a regular file/.test(e.userMessage));
  } finally {
    f.done();
  }
});

test('a FIFO named config.json is refused without blocking', async (t) => {
  const f = folder({});
  const r = spawnSync('mkfifo', [join(f.dir, 'config.json')]);
  if (r.status !== 0) {
    f.done();
    t.skip('mkfifo not available');
    return;
  }
  try {
    await assert.rejects(readSidecars(f.ckpt), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CONFIG');
  } finally {
    f.done();
  }
});

test('sidecar values are data: a JSON __proto__ key does not change any prototype', async () => {
  const f = folder({ 'config.json': '{"__proto__": {"polluted": true}, "depth": 2}' });
  try {
    const s = await readSidecars(f.ckpt);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(s.config?.depth, 2);
  } finally {
    f.done();
  }
});
