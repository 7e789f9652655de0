import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes, formatShortCount } from '../../../src/cli/format/size';
import { groupTensors } from '../../../src/cli/format/tensorGroups';
import { safeText } from '../../../src/cli/format/safeText';
import { toPrettyJson } from '../../../src/cli/format/json';
import { formatInspectText } from '../../../src/cli/format/inspectText';
import { inspectOpened } from '../../../src/core/model/inspectCheckpoint';
import type { Checkpoint, TensorEntry } from '../../../src/core/io/types';
import { paperMnist, toMap, vit, type Spec } from '../model/synthetic';

/** A checkpoint with names and shapes only, in a folder of its own (no sidecars); data is never read. */
function fakeCheckpoint(spec: Spec, metadata: Record<string, string> = {}): { ckpt: Checkpoint; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-fmt-'));
  const tensors = new Map<string, TensorEntry>();
  for (const [name, info] of toMap(spec)) {
    tensors.set(name, { ...info, readFloat32: () => Promise.reject(new Error('inspect must not read tensor data')) });
  }
  const fileSize = [...tensors.values()].reduce((s, t) => s + t.byteLength, 0);
  const ckpt: Checkpoint = { path: join(dir, 'm.safetensors'), format: 'safetensors', fileSize, tensors, stateDictKey: '', metadata, extras: {}, close: async () => undefined };
  return { ckpt, done: () => rmSync(dir, { recursive: true, force: true }) };
}

test('sizes read as people write them', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB');
  assert.equal(formatBytes(123.4 * 1024 ** 2), '123 MiB');
  assert.equal(formatShortCount(999), '999');
  assert.equal(formatShortCount(316_737), '317K');
  assert.equal(formatShortCount(86_000_000), '86.0M');
});

test('per-expert tensors collapse into one row per pattern, dtype and shape', () => {
  const rows = (names: Array<[string, number[]]>) => groupTensors(names.map(([name, shape]) => ({ name, shape, dtype: 'F32' as const, byteLength: 4 })));
  const g = rows([['a.experts.0.fc1.weight', [4, 2]], ['a.experts.1.fc1.weight', [4, 2]], ['a.experts.2.fc1.weight', [4, 2]], ['a.phi', [2, 3, 1]]]);
  assert.deepEqual(g.map((x) => [x.name, x.count, x.byteLength]), [['a.experts.{0–2}.fc1.weight', 3, 12], ['a.phi', 1, 4]]);
  // a different shape is its own row; a lone expert keeps its own name; lucidrains' experts.experts.N
  const h = rows([['experts.experts.0.0.weight', [4, 2]], ['experts.experts.1.0.weight', [5, 2]], ['x.experts.7.w', [1]], ['experts.experts.2.0.weight', [4, 2]]]);
  assert.deepEqual(h.map((x) => [x.name, x.count]), [['experts.experts.{0,2}.0.weight', 2], ['experts.experts.1.0.weight', 1], ['x.experts.7.w', 1]]);
});

test('text from the file cannot drive the terminal', () => {
  assert.equal(safeText('a\u001b[2Jb\u0007\u202e'), 'a\\x1b[2Jb\\x07\\u202e');
  assert.equal(safeText('blocks.6.mlp.phi'), 'blocks.6.mlp.phi');
});

test('JSON keeps shapes on one line without touching strings', () => {
  const v = { shape: [3, 4], name: 'odd [\n1,\n2\n] name', nested: [[1, 2], [3]], empty: [] };
  const s = toPrettyJson(v);
  assert.deepEqual(JSON.parse(s), v);
  assert.match(s, /"shape": \[3, 4\]/);
  assert.match(s, /"empty": \[\]/);
  // the same value as JSON.stringify gives, including undefined fields and non-finite numbers
  const odd = { a: undefined, b: [undefined, NaN, 1e30], c: {}, d: 'x' };
  assert.deepEqual(JSON.parse(toPrettyJson(odd)), JSON.parse(JSON.stringify(odd)));
  // deep nesting is written compactly below the depth limit, so indentation cannot grow without bound
  let deep: unknown = ['…'];
  for (let i = 0; i < 40; i++) deep = [deep, i];
  const d = toPrettyJson({ deep }, 4);
  assert.deepEqual(JSON.parse(d), { deep });
  assert.ok(d.length < JSON.stringify({ deep }).length + 200, `pretty output ${d.length} vs compact ${JSON.stringify({ deep }).length}`);
});

test('the table lists layers and cuts long tensor lists with a pointer to --json', async () => {
  const spec = vit({ depth: 40, moeBlocks: [30, 31], d: 8, n: 4, p: 2 });
  const f = fakeCheckpoint(spec, { note: 'x\u001b]0;title\u0007' });
  try {
    const report = await inspectOpened(f.ckpt);
    const text = formatInspectText(report, { color: false, maxRows: 10 });
    assert.match(text, /Architecture: +vit-softmoe/);
    assert.match(text, /^ +blocks\.30\.mlp +vit-experts +4 +2 +8 +16 +l2 +normed +gelu/m);
    const grouped = groupTensors(report.tensors);
    const hidden = grouped.slice(10).reduce((s, g) => s + g.count, 0);
    assert.ok(text.includes(`… ${hidden.toLocaleString('en-US')} more tensors (use --json`), text);
    assert.equal(text.split('\n').filter((l) => l.includes('F32')).length, 10);
    assert.ok(!text.includes('\u001b'), 'no raw escape characters');
    const all = formatInspectText(report, { color: false, maxRows: Infinity });
    assert.ok(!all.includes('more tensor'));
    assert.equal(all.split('\n').filter((l) => l.includes('F32')).length, grouped.length);
  } finally {
    f.done();
  }
});

test('no layers: says none, and JSON-safe report', async () => {
  const f = fakeCheckpoint([['fc.weight', [3, 4]], ['fc.bias', [3]]]);
  try {
    const report = await inspectOpened(f.ckpt);
    assert.equal(report.parameterCount, 15);
    assert.deepEqual(report.softMoeLayers, []);
    assert.equal(report.architecture, 'none');
    assert.match(formatInspectText(report, { color: false }), /none recognised/);
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  } finally {
    f.done();
  }
});

test('lenient inspection keeps the tensors and reports the shape problem', async () => {
  const spec = paperMnist(4).map(([n, s]): [string, number[]] => [n, n === 'experts.2.1.weight' ? [7, 196] : s]);
  const f = fakeCheckpoint(spec);
  try {
    await assert.rejects(inspectOpened(f.ckpt), /expert 2 has hidden size 7/);
    const report = await inspectOpened(f.ckpt, { lenient: true });
    assert.equal(report.tensorCount, spec.length);
    assert.deepEqual(report.problems.map((p) => p.code), ['E_SHAPE']);
    assert.match(report.problems[0].userMessage, /experts\.2\.1\.weight \[7,196\]/);
    assert.equal(report.architecture, 'none');
    assert.match(report.architectureDetail.reason, /layer detection failed/);
  } finally {
    f.done();
  }
});
