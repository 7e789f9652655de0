/**
 * `softmoe inspect` on the committed checkpoint fixtures (test/fixtures/io, made by gen_checkpoints.py):
 * every good file is read with the right tensors and layers; every hostile file is refused with one line and
 * a non-crash exit status, and no payload ever runs.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EXIT_CODES } from '../../../src/core/errors';
import { ROOT, assertOneLineError, ensureBuilt, mapLimit, runCliAsync } from './cliHarness';

const IO = join(ROOT, 'test', 'fixtures', 'io');

interface ExpectedFile { format: string; stateDictKey: string; tensors: Record<string, { dtype: string; shape: number[] }> }
type LayerRow = [string, string, number, number, number, number];

/** The layers each layout fixture holds, from the sizes gen_checkpoints.py builds them with (or its config.json). */
function expectedLayers(rel: string): LayerRow[] | null {
  const folder = rel.split('/')[0];
  if (folder === 'mnist') return [['', 'paper-mnist', 4, 1, 196, 196]]; // MnistSoftMoE(n=4, d=196): h = 196·4/n
  if (folder === 'lucidrains') return [['', 'lucidrains', 4, 2, 8, 32]]; // d, n, p = 8, 4, 2; FeedForward mult 4
  if (folder === 'vmoe') return [['Encoder/encoderblock_1/Moe', 'vmoe', 4, 2, 8, 16]]; // D, n, p, h = 8, 4, 2, 16
  // deit/: only the MoE block of the stacked ViT (same VIT sizes as vit_stacked), nested under 'model' with argparse args.
  if (folder === 'vit_experts' || folder === 'vit_stacked' || folder === 'sharded' || folder === 'deit') {
    const c = JSON.parse(readFileSync(join(IO, folder === 'deit' ? 'vit_stacked' : folder, 'config.json'), 'utf8')) as Record<string, number>;
    const layout = folder === 'vit_stacked' || folder === 'deit' ? 'vit-stacked' : 'vit-experts';
    const rows: LayerRow[] = [];
    for (let b = c.moe_layer_index; b < c.depth; b++) {
      rows.push([`blocks.${b}.mlp`, layout, c.num_experts, c.slots_per_expert, c.embed_dim, Math.floor(c.embed_dim * c.mlp_ratio)]);
    }
    return rows;
  }
  if (['dtypes', 'views', 'numpy'].includes(folder)) return []; // plain tensors, no Soft MoE
  return null; // a fixture folder this test does not know yet: tensors are checked, layers are not
}

before(() => ensureBuilt());

test('every good fixture: exit 0, one JSON object with its tensors, parameter count and layers', async () => {
  const expected = JSON.parse(readFileSync(join(IO, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;
  const files = Object.keys(expected).sort();
  assert.ok(files.length >= 15, `expected.json lists ${files.length} files`);
  const results = await mapLimit(files, 4, (rel) => runCliAsync('inspect', join(IO, rel), '--json'));
  const layouts = new Set<string>();
  for (const [i, rel] of files.entries()) {
    const r = results[i];
    assert.equal(r.status, 0, `${rel}: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as {
      format: string; parameterCount: number; architecture: string;
      tensors: Array<{ name: string; dtype: string; shape: number[] }>;
      softMoeLayers: Array<{ name: string; layout: string; numExperts: number; slotsPerExpert: number; dim: number; expertHidden: number }>;
    };
    const want = expected[rel];
    assert.equal(j.format, want.format, rel);
    const got = Object.fromEntries(j.tensors.map((t) => [t.name, { dtype: t.dtype, shape: t.shape }]));
    const wantTensors = Object.fromEntries(Object.entries(want.tensors).map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape }]));
    assert.deepEqual(got, wantTensors, rel);
    const elements = Object.values(want.tensors).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(j.parameterCount, elements, rel);
    const layers = j.softMoeLayers.map((l) => [l.name, l.layout, l.numExperts, l.slotsPerExpert, l.dim, l.expertHidden]);
    const wantLayers = expectedLayers(rel);
    if (wantLayers === null) continue;
    assert.deepEqual(layers, wantLayers, rel);
    if (layers.length === 0) assert.equal(j.architecture, 'none', rel);
    for (const l of wantLayers) layouts.add(l[1]);
  }
  assert.deepEqual([...layouts].sort(), ['lucidrains', 'paper-mnist', 'vit-experts', 'vit-stacked', 'vmoe']);
});

test('every layout fixture also prints a readable table', async () => {
  const files = ['mnist/ep3_moe.pt', 'vit_stacked/best_checkpoint.pth', 'lucidrains/soft_moe.safetensors', 'vmoe/vmoe.pt'];
  const results = await mapLimit(files, 4, (rel) => runCliAsync('inspect', join(IO, rel)));
  for (const [i, rel] of files.entries()) {
    assert.equal(results[i].status, 0, `${rel}: ${results[i].stderr}`);
    for (const [, layout] of expectedLayers(rel) ?? []) assert.match(results[i].stdout, new RegExp(`\\b${layout}\\b`), rel);
  }
});

test('every hostile fixture: refused with one line on stderr, a non-crash exit status, and no payload run', async () => {
  const dir = join(IO, 'hostile');
  // laughs.pt (2^59 shared list leaves) is readable by design: it must be read quickly and stay small, not refused.
  // bomb.npz's header is honest: inspect reads only that (no inflation); reading its data is refused (io/hostile.test.ts).
  const files = readdirSync(dir).filter((f) => f !== 'laughs.pt' && f !== 'bomb.npz').sort();
  assert.ok(files.length >= 40, `hostile corpus has ${files.length} files`);
  const markers = files.map((f) => `/tmp/softmoe-pwned-${f.replace(/\.[^.]+$/, '')}`);
  const results = await mapLimit(files, 4, (f) => runCliAsync('inspect', join(dir, f), '--json'));
  const allowed = new Set([EXIT_CODES.E_FORMAT, EXIT_CODES.E_CORRUPT, EXIT_CODES.E_UNSUPPORTED, EXIT_CODES.E_UNSAFE]);
  for (const [i, f] of files.entries()) {
    const r = results[i];
    assert.notEqual(r.status, null, `${f}: killed or hung`);
    const line = assertOneLineError(r);
    assert.ok(line.includes(basename(f)), `${f}: message should name the file: ${line}`);
    assert.ok(allowed.has(r.status as number), `${f}: exit ${r.status} (${line})`);
    assert.equal(existsSync(markers[i]), false, `${f}: payload marker ${markers[i]} exists`);
  }
});

test('a billion-laughs pickle is read with its extras bounded, in JSON and as a table', async () => {
  const file = join(IO, 'hostile', 'laughs.pt');
  const [json, table] = await Promise.all([runCliAsync('inspect', file, '--json'), runCliAsync('inspect', file)]);
  assert.equal(json.status, 0, json.stderr);
  assert.ok(json.stdout.length < 1 << 20, `--json printed ${json.stdout.length} bytes`);
  const j = JSON.parse(json.stdout) as { extras: Record<string, unknown>; tensors: unknown[] };
  assert.ok('laughs' in j.extras);
  assert.equal(table.status, 0, table.stderr);
  assert.ok(table.stdout.length < 64 << 10, `table printed ${table.stdout.length} bytes`);
});
