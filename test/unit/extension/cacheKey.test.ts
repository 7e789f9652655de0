// The extension's cache key is the run identity: every input that can change a result gives a fresh run (one test
// per field), and nothing else does. The first test is the stale-cache bug of issue 16: with the `batch` selector,
// a batch-size change used to be served the result of the old batch size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runIdentity, runKey, stableStringify } from '../../../src/core/analysis/runIdentity';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { resolveAnalysisSettings, type ResolvedSettings } from '../../../src/extension/analysisSettings';
import { analysisCacheKey, isCacheKey, jobIdentity, jobRequest, staleReason } from '../../../src/extension/cacheKey';
import { ResultCache } from '../../../src/extension/resultCache';

const ROOT = join(__dirname, '../../..');
const RESULT = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/webview/analysis-n16.json'), 'utf8')) as AnalysisResult;

/** A workspace of its own: the demo n16 checkpoint with its args.json, and the demo dataset. */
function workspace(t: { after: (f: () => void) => void }): { dir: string; ckpt: string; data: string } {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-identity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'run'));
  cpSync(join(ROOT, 'media/demo/models/n16/ep4_moe.safetensors'), join(dir, 'run/ep4_moe.safetensors'));
  cpSync(join(ROOT, 'media/demo/models/n16/args.json'), join(dir, 'run/args.json'));
  cpSync(join(ROOT, 'media/demo/data'), join(dir, 'data'), { recursive: true });
  return { dir, ckpt: join(dir, 'run/ep4_moe.safetensors'), data: join(dir, 'data') };
}

function settings(values: Record<string, unknown> = {}): ResolvedSettings {
  return resolveAnalysisSettings((k) => values[k]);
}

const key = async (ckpt: string, data: string, s: ResolvedSettings): Promise<string> => (await jobIdentity(ckpt, data, s)).key;

/** Rewrite a file with the same size and the same mtime: only its ctime (and content) says it changed. */
function rewriteKeepingMtime(path: string): void {
  const st = statSync(path);
  const bytes = readFileSync(path);
  bytes[bytes.length - 1] ^= 1;
  writeFileSync(path, bytes);
  utimesSync(path, st.atime, st.mtime);
}

test('stale cache: with the batch selector, a batch-size change is a fresh run, not the cached result', async (t) => {
  const w = workspace(t);
  const cache = new ResultCache(join(w.dir, 'cache'));
  const at512 = settings({ selectors: ['heuristic', 'batch'], batchSize: 512 });
  const at4 = settings({ selectors: ['heuristic', 'batch'], batchSize: 4 });
  const k512 = await key(w.ckpt, w.data, at512);
  await cache.put(k512, RESULT);
  const k4 = await key(w.ckpt, w.data, at4);
  assert.notEqual(k4, k512);
  assert.equal(await cache.get(k4), null, 'the batch-4 run is not served the batch-512 result');
});

test('every input of the run gives a fresh key (one subtest per field)', async (t) => {
  const w = workspace(t);
  const s = settings({ selectors: ['heuristic', 'random', 'oracle', 'batch'] });
  const base = await key(w.ckpt, w.data, s);
  assert.ok(isCacheKey(base));
  const withSettings = (patch: Partial<ResolvedSettings['settings']>, exec: Partial<ResolvedSettings['execution']> = {}) =>
    key(w.ckpt, w.data, { ...s, settings: { ...s.settings, ...patch }, execution: { ...s.execution, ...exec } });
  const id = (await jobIdentity(w.ckpt, w.data, s)).identity;
  // Options, the tool and the schema: each against the base key.
  const variants: Array<[string, () => Promise<string>]> = [
    ['selectors', () => withSettings({ selectors: ['heuristic', 'random'] })],
    ['drop modes', () => withSettings({ drops: ['zero'] })],
    ['random trials', () => withSettings({ trials: s.settings.trials + 1 })],
    ['seed', () => withSettings({ seed: 1 })],
    ['example limit', () => withSettings({ limit: 100 })],
    ['target', () => withSettings({ target: 0.95 })],
    ['samples kept', () => withSettings({ samples: 3 })],
    ['batch size (batch selector)', () => withSettings({}, { batchSize: 64 })],
    ['engine (the PyTorch engine)', () => withSettings({}, { engine: 'torch', python: { path: '/usr/bin/python3', source: 'PATH' }, device: 'cpu' })],
    ['tool version', async () => runKey(await runIdentity({ ...jobRequest(w.ckpt, w.data, s), toolVersion: '99.0.0' }))],
    ['schema major version', async () => runKey({ ...id, schema: '2' })],
  ];
  for (const [field, f] of variants) await t.test(field, async () => assert.notEqual(await f(), base));
  await t.test('the PyTorch engine: its interpreter and its device', async () => {
    const torch = (python: string, device: string) => withSettings({}, { engine: 'torch', python: { path: python, source: 'PATH' }, device });
    const cpu = await torch('/usr/bin/python3', 'cpu');
    assert.notEqual(await torch('/usr/bin/python3', 'cuda:0'), cpu);
    assert.notEqual(await torch('/opt/venv/bin/python', 'cpu'), cpu);
    assert.equal(await torch('/usr/bin/python3', 'cpu'), cpu);
    assert.equal(await withSettings({}, { engine: 'tfjs' }), base, "the built-in engine named is the default's key");
  });
  await t.test('split', async () => {
    cpSync(join(w.data, 't10k-images-idx3-ubyte.gz'), join(w.data, 'train-images-idx3-ubyte.gz'));
    cpSync(join(w.data, 't10k-labels-idx1-ubyte.gz'), join(w.data, 'train-labels-idx1-ubyte.gz'));
    assert.equal(await key(w.ckpt, w.data, s), base, 'train files do not change a test-split run');
    assert.notEqual(runKey(await runIdentity({ ...jobRequest(w.ckpt, w.data, s), split: 'train' })), base);
  });
  await t.test('checkpoint path', async () => {
    cpSync(w.ckpt, join(w.dir, 'run/ep5_moe.safetensors'));
    assert.notEqual(await key(join(w.dir, 'run/ep5_moe.safetensors'), w.data, s), base);
  });
  await t.test('dataset path', async () => {
    cpSync(w.data, join(w.dir, 'data2'), { recursive: true });
    assert.notEqual(await key(w.ckpt, join(w.dir, 'data2'), s), base);
  });
  // Files, each changed in turn: every change gives a key not seen before.
  const seen = new Set([base]);
  const files: Array<[string, () => void]> = [
    ['checkpoint rewritten in place (same size and mtime: ctime)', () => rewriteKeepingMtime(w.ckpt)],
    ['checkpoint mtime', () => utimesSync(w.ckpt, new Date(), new Date(Date.now() + 5000))],
    ['args.json edited', () => writeFileSync(join(w.dir, 'run/args.json'), readFileSync(join(w.dir, 'run/args.json'), 'utf8').replace('}', ', "note": 1}'))],
    ['config.json created', () => writeFileSync(join(w.dir, 'run/config.json'), '{"num_heads": 4}')],
    ['softmoe.json created', () => writeFileSync(join(w.dir, 'run/softmoe.json'), '{"mean": [0.5]}')],
    ['dataset images rewritten in place', () => rewriteKeepingMtime(join(w.data, 't10k-images-idx3-ubyte.gz'))],
    ['dataset labels rewritten in place', () => rewriteKeepingMtime(join(w.data, 't10k-labels-idx1-ubyte.gz'))],
    ['class list removed', () => rmSync(join(w.data, 'classes.txt'))],
  ];
  for (const [field, change] of files) {
    await t.test(field, async () => {
      change();
      const k = await key(w.ckpt, w.data, s);
      assert.ok(!seen.has(k), 'a key seen before');
      seen.add(k);
    });
  }
});

test('every shard of a sharded checkpoint and every image of an image folder is part of the run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-identity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/io/sharded'), join(dir, 'sharded'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/data/images'), join(dir, 'images'), { recursive: true });
  const index = join(dir, 'sharded/model.safetensors.index.json');
  const s = settings();
  const base = await key(index, join(dir, 'images'), s);
  rewriteKeepingMtime(join(dir, 'sharded/model-00002-of-00002.safetensors'));
  const afterShard = await key(index, join(dir, 'images'), s);
  assert.notEqual(afterShard, base, 'a shard rewritten');
  rewriteKeepingMtime(join(dir, 'images/test/dog/c.png'));
  const afterImage = await key(index, join(dir, 'images'), s);
  assert.notEqual(afterImage, afterShard, 'an image rewritten');
  cpSync(join(dir, 'images/test/dog/c.png'), join(dir, 'images/test/dog/e.png'));
  assert.notEqual(await key(index, join(dir, 'images'), s), afterImage, 'an image added');
});

test('what cannot change the result does not change the key', async (t) => {
  const w = workspace(t);
  const s = settings();
  const base = await key(w.ckpt, w.data, s);
  assert.equal(await key(w.ckpt, w.data, s), base, 'the same inputs, stamped again');
  assert.equal(await key(w.ckpt, w.data, { ...s, execution: { ...s.execution, backend: 'cpu' } }), base, 'backend (same results, other speed)');
  assert.equal(await key(w.ckpt, w.data, { ...s, execution: { ...s.execution, batchSize: 4 } }), base, 'batch size without the batch selector');
  const noRandom = settings({ selectors: ['heuristic', 'oracle'] });
  const k = await key(w.ckpt, w.data, noRandom);
  assert.equal(await key(w.ckpt, w.data, { ...noRandom, settings: { ...noRandom.settings, trials: 99, seed: 7 } }), k, 'trials and seed without the random selector');
  writeFileSync(join(w.data, 'README.md'), 'edited: the dataset reader never reads this');
  writeFileSync(join(w.dir, 'run', 'train_log.json'), '{}');
  assert.equal(await key(w.ckpt, w.data, s), base, 'files beside the data that no reader reads');
  const reordered = Object.fromEntries(Object.entries(s.settings).reverse()) as typeof s.settings;
  assert.equal(await key(w.ckpt, w.data, { ...s, settings: reordered }), base, 'key order of the settings');
  assert.equal(stableStringify({ b: 1, a: [2, { d: 3, c: 4 }] }), '{"a":[2,{"c":4,"d":3}],"b":1}');
});

test('a restored result is out of date once its checkpoint changes; until then it is current', async (t) => {
  const w = workspace(t);
  const { identity, key: k } = await jobIdentity(w.ckpt, w.data, settings());
  const result: AnalysisResult = { ...RESULT, run: { key: k, identity } };
  assert.equal(await staleReason(result), null);
  assert.equal(analysisCacheKey(identity), k);
  utimesSync(w.ckpt, new Date(), new Date(Date.now() + 5000));
  assert.match(await staleReason(result) ?? '', /the checkpoint file ep4_moe\.safetensors is not the same file/);
  rmSync(w.ckpt);
  assert.match(await staleReason(result) ?? '', /ep4_moe\.safetensors: no such file/);
  assert.match(await staleReason(RESULT) ?? '', /no run identity/);
});

test('isCacheKey refuses anything that could name another file', () => {
  for (const bad of ['', '../etc/passwd', 'ABCDEF0123456789abcdef0123456789abcdef01', 'a'.repeat(39), `${'a'.repeat(40)}.json`]) {
    assert.equal(isCacheKey(bad), false, bad);
  }
});

test('a dataset of many files is recorded by a digest, and still any change to one of them is a fresh run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-identity-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(join(ROOT, 'test/fixtures/io/sharded'), join(dir, 'sharded'), { recursive: true });
  for (const cls of ['a', 'b']) {
    mkdirSync(join(dir, 'images', cls), { recursive: true });
    for (let i = 0; i < 80; i++) cpSync(join(ROOT, 'test/fixtures/data/images/test/dog/c.png'), join(dir, 'images', cls, `${i}.png`));
  }
  const index = join(dir, 'sharded/model.safetensors.index.json');
  const { identity, key: k } = await jobIdentity(index, join(dir, 'images'), settings());
  assert.deepEqual(identity.dataset.files, []);
  assert.equal(identity.dataset.digest?.count, 160);
  assert.ok(JSON.stringify(identity).length < 4000, 'the identity stays small');
  rewriteKeepingMtime(join(dir, 'images', 'b', '42.png'));
  assert.notEqual(await key(index, join(dir, 'images'), settings()), k);
  assert.match(await staleReason({ ...RESULT, run: { key: k, identity } }) ?? '', /the dataset's files changed \(160 files then, 160 now\)/);
});

test('with the global selector, its calibration split, its files and its ranking are part of the run', async (t) => {
  const w = workspace(t);
  cpSync(join(w.data, 't10k-images-idx3-ubyte.gz'), join(w.data, 'train-images-idx3-ubyte.gz'));
  cpSync(join(w.data, 't10k-labels-idx1-ubyte.gz'), join(w.data, 'train-labels-idx1-ubyte.gz'));
  const global = (values: Record<string, unknown> = {}) => settings({ selectors: ['heuristic', 'global'], ...values });
  const base = await key(w.ckpt, w.data, global({ calibration: 'train[:200]' }));
  assert.notEqual(await key(w.ckpt, w.data, global({ calibration: 'train[:300]' })), base, 'another calibration range');
  assert.notEqual(await key(w.ckpt, w.data, global({ calibration: 'train[:200]', globalRanking: 'mass' })), base, 'another ranking');
  const id = (await jobIdentity(w.ckpt, w.data, global({ calibration: 'train[:200]' }))).identity;
  assert.equal(id.calibration?.split, 'train');
  assert.ok(id.calibration?.files.some((f) => f.path.endsWith('train-images-idx3-ubyte.gz')), 'the calibration files are stamped');
  rewriteKeepingMtime(join(w.data, 'train-images-idx3-ubyte.gz'));
  assert.notEqual(await key(w.ckpt, w.data, global({ calibration: 'train[:200]' })), base, 'a calibration file rewritten');
  // Without the global selector the calibration settings and the train files play no part.
  const plain = await key(w.ckpt, w.data, settings({ selectors: ['heuristic'] }));
  assert.equal(await key(w.ckpt, w.data, settings({ selectors: ['heuristic'], calibration: 'train[:300]', globalRanking: 'mass' })), plain);
});
