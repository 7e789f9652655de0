import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors } from '../../../src/core/io/writeSafetensors';
import { EXIT_CODES } from '../../../src/core/errors';
import { lucidrains, paperMnist, reshape, vit, vmoe, withPrefix, type Spec } from '../model/synthetic';
import { assertOneLineError, ensureBuilt, runCli } from './cliHarness';

let dir = '';

async function save(name: string, spec: Spec, sidecars: Record<string, string> = {}): Promise<string> {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'model.safetensors');
  await writeSafetensors(file, spec.map(([n, shape]) => ({ name: n, dtype: 'F32', shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) })));
  for (const [f, body] of Object.entries(sidecars)) writeFileSync(join(folder, f), body);
  return file;
}

interface JsonLayer { name: string; layout: string; numExperts: number; slotsPerExpert: number; dim: number; expertHidden: number }

function inspectJson(file: string) {
  const r = runCli('inspect', file, '--json');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    format: string; parameterCount: number; architecture: string; tensors: Array<{ name: string; dtype: string; shape: number[] }>;
    softMoeLayers: JsonLayer[]; sidecars: { files: string[]; args?: unknown };
  };
  return out;
}

const brief = (l: JsonLayer) => [l.name, l.layout, l.numExperts, l.slotsPerExpert, l.dim, l.expertHidden];

before(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'softmoe-cli-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('inspect --json: one object with tensors, parameter count and the layers of every layout', async () => {
  const cases: Array<[string, Spec, unknown[][], string]> = [
    ['mnist', paperMnist(4, 16), [['', 'paper-mnist', 4, 1, 16, 16]], 'mnist-softmoe'],
    ['vit', vit({ depth: 3, moeBlocks: [1, 2], d: 8, n: 2, p: 2 }), [['blocks.1.mlp', 'vit-experts', 2, 2, 8, 16], ['blocks.2.mlp', 'vit-experts', 2, 2, 8, 16]], 'vit-softmoe'],
    ['stacked', withPrefix('model.', vit({ depth: 2, moeBlocks: [1], d: 8, n: 4, p: 1, stacked: true })), [['model.blocks.1.mlp', 'vit-stacked', 4, 1, 8, 16]], 'vit-softmoe'],
    ['lucid', lucidrains('module.moe.', 2, 3, 4), [['module.moe', 'lucidrains', 2, 3, 4, 16]], 'layer-only'],
    ['vmoe', vmoe('encoder/block_1/', '/', 4, 2, 8, 12), [['encoder/block_1/Moe', 'vmoe', 4, 2, 8, 12]], 'layer-only'],
  ];
  for (const [name, spec, layers, arch] of cases) {
    const j = inspectJson(await save(name, spec));
    assert.equal(j.format, 'safetensors');
    assert.deepEqual(j.softMoeLayers.map(brief), layers, name);
    assert.equal(j.architecture, arch, name);
    assert.equal(j.tensors.length, spec.length);
    const byName = new Map(j.tensors.map((t) => [t.name, t]));
    for (const [n, shape] of spec) assert.deepEqual(byName.get(n), { ...byName.get(n), name: n, dtype: 'F32', shape });
    assert.equal(j.parameterCount, spec.reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0));
  }
});

test('inspect: the table by default, with layers and sidecars', async () => {
  const file = await save('table', paperMnist(2, 8), { 'args.json': '{"num_experts": 2}' });
  const r = runCli('inspect', file);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /paper-mnist/);
  assert.match(r.stdout, /Sidecars: +args\.json/);
  assert.match(r.stdout, /experts\.\{0–1\}\.1\.weight/);
  assert.ok(!r.stdout.includes('\u001b['), 'no colour when NO_COLOR is set');
  assert.deepEqual(inspectJson(file).sidecars.args, { num_experts: 2 });
});

test('errors: non-zero exit with the code of the error and one line on stderr', async () => {
  const missing = assertOneLineError(runCli('inspect', join(dir, 'nope.safetensors')));
  assert.match(missing, /nope\.safetensors/);
  assert.equal(runCli('inspect', join(dir, 'nope.safetensors')).status, EXIT_CODES.E_NOT_FOUND);

  const bad = await save('bad-layer', reshape(vit({ depth: 1, moeBlocks: [0], d: 8, n: 3, p: 1 }), 'blocks.0.mlp.experts.2.fc1.weight', [12, 8]));
  const r = runCli('inspect', bad, '--json');
  assert.match(assertOneLineError(r), /expert 2 has hidden size 12.*blocks\.0\.mlp\.experts\.2\.fc1\.weight \[12,8\]/);
  assert.equal(r.status, EXIT_CODES.E_SHAPE);

  const cfg = await save('bad-sidecar', paperMnist(2, 8), { 'config.json': '{"depth": 2,,}' });
  const c = runCli('inspect', cfg);
  assert.match(assertOneLineError(c), /config\.json: invalid JSON at line 1 column 13/);
  assert.equal(c.status, EXIT_CODES.E_CONFIG);

  const good = await save('truncated', paperMnist(2, 8));
  const bytes = readFileSync(good);
  const cut = join(dir, 'truncated', 'cut.safetensors');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 5));
  const t = runCli('inspect', cut);
  assert.match(assertOneLineError(t), /cut\.safetensors/);
  assert.equal(t.status, EXIT_CODES.E_CORRUPT);

  const text = join(dir, 'notes.txt');
  writeFileSync(text, 'hello, not a checkpoint\n');
  assert.match(assertOneLineError(runCli('inspect', text)), /notes\.txt/);

  const usage = runCli('inspect');
  assert.equal(usage.status, EXIT_CODES.E_USAGE);
});
