// Every good fixture written by test/fixtures/io/gen_checkpoints.py reads back with the names, dtypes, shapes and
// values PyTorch/numpy saw (expected.json), and reading never changes the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { openCheckpoint } from '../../../src/core/io/openCheckpoint';
import { openNpyFile, openNpzFile } from '../../../src/core/data/npyArray';
import { readValues } from '../../../src/core/data/npyLayout';

const dir = join(__dirname, '..', '..', 'fixtures', 'io');

interface ExpectedTensor { dtype: string; shape: number[]; first: number[]; sum: number; wsum: number }
interface Expected {
  format: string;
  stateDictKey: string;
  order: string[];
  tensors: Record<string, ExpectedTensor>;
  extras?: Record<string, unknown>;
  metadata?: Record<string, string>;
}

async function fingerprint(path: string): Promise<string> {
  const st = await stat(path);
  return `${st.size} ${st.mtimeMs} ${createHash('sha256').update(await readFile(path)).digest('hex')}`;
}

function close(a: number, b: number, scale: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, scale);
}

async function expectedFixtures(): Promise<Array<[string, Expected]>> {
  return Object.entries(JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as Record<string, Expected>);
}

test('every good fixture reads with the expected names, dtypes, shapes and values', async () => {
  const fixtures = await expectedFixtures();
  assert.ok(fixtures.length >= 20, 'expected.json lists the fixtures');
  for (const [file, exp] of fixtures) {
    const path = join(dir, file);
    const before = await fingerprint(path);
    const ck = await openCheckpoint(path);
    try {
      assert.equal(ck.format, exp.format, file);
      assert.equal(ck.stateDictKey, exp.stateDictKey, file);
      assert.deepEqual([...ck.tensors.keys()], exp.order, `${file}: tensor names in file order`);
      if (exp.extras) assert.deepEqual(ck.extras, exp.extras, `${file}: extras`);
      if (exp.metadata) assert.deepEqual(ck.metadata, exp.metadata, `${file}: metadata`);
      for (const [name, t] of Object.entries(exp.tensors)) {
        const entry = ck.tensors.get(name)!;
        const where = `${file}: ${name}`;
        assert.equal(entry.dtype, t.dtype, where);
        assert.deepEqual(entry.shape, t.shape, where);
        assert.equal(entry.numel, t.shape.reduce((a, b) => a * b, 1), where);
        const v = await entry.readFloat32();
        assert.equal(v.length, entry.numel, where);
        assert.deepEqual([...v.subarray(0, 4)], t.first, `${where}: first values`);
        let sum = 0, wsum = 0, abs = 0;
        for (let i = 0; i < v.length; i++) {
          sum += v[i]!;
          wsum += v[i]! * ((i % 13) + 1);
          abs += Math.abs(v[i]!) * 13;
        }
        assert.ok(close(sum, t.sum, abs), `${where}: sum ${sum} vs ${t.sum}`);
        assert.ok(close(wsum, t.wsum, abs), `${where}: weighted sum ${wsum} vs ${t.wsum} (element order)`);
      }
    } finally {
      await ck.close();
    }
    assert.equal(await fingerprint(path), before, `${file} was modified by reading it`);
  }
});

test('the paper MNIST checkpoint keeps its args.json beside it and its n=4 shapes', async () => {
  const ck = await openCheckpoint(join(dir, 'mnist', 'ep3_moe.pt'));
  try {
    assert.deepEqual(ck.tensors.get('phi')!.shape, [196, 4]);
    assert.deepEqual(ck.tensors.get('experts.3.3.weight')!.shape, [196, 196]);
    assert.deepEqual(ck.tensors.get('decoder.1.weight')!.shape, [10, 784]);
    const args = JSON.parse(await readFile(join(dir, 'mnist', 'args.json'), 'utf8')) as { num_experts: number };
    assert.equal(args.num_experts, 4);
  } finally {
    await ck.close();
  }
});

test('views keep their strides: a transposed view reads as the transpose of its base', async () => {
  const ck = await openCheckpoint(join(dir, 'views', 'views.pt'));
  try {
    const base = await ck.tensors.get('base')!.readFloat32();
    const t = await ck.tensors.get('transposed')!.readFloat32();
    for (let i = 0; i < 4; i++) for (let j = 0; j < 6; j++) assert.equal(t[j * 4 + i], base[i * 6 + j]);
    const s = await ck.tensors.get('slice')!.readFloat32();
    assert.deepEqual([...s], [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => base[6 * (1 + Math.floor((k - 1) / 3)) + 2 + ((k - 1) % 3)]));
  } finally {
    await ck.close();
  }
});

test('datasets read the same .npy and .npz fixtures through the one reader: names, dtypes, shapes and values', async () => {
  const values = async (array: Awaited<ReturnType<typeof openNpyFile>>['array']): Promise<number[]> => {
    const out: number[] = [];
    for await (const run of array.records.runs(0, array.records.count, 1000)) {
      const v = new Float64Array(run.length / array.header.itemSize);
      readValues(run, array.header, v);
      out.push(...v);
    }
    return out;
  };
  const { array, source } = await openNpyFile(join(dir, 'numpy', 'u8.npy'));
  try {
    assert.equal(array.header.descr, 'uint8');
    assert.deepEqual(array.header.shape, [2, 5]);
    assert.deepEqual(await values(array), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    await source.close();
  }
  for (const file of ['arrays.npz', 'arrays_compressed.npz']) {
    const npz = await openNpzFile(join(dir, 'numpy', file));
    try {
      assert.deepEqual(npz.names, ['w', 'labels', 'mask', 'half'], file);
      const labels = await npz.open('labels');
      assert.equal(labels.header.descr, 'int64');
      assert.deepEqual(await values(labels), [0, 1, 2, 3, 4], file);
      const half = await npz.open('half');
      assert.deepEqual(half.header.shape, [2, 3]);
      assert.deepEqual((await values(half)).map((v) => Math.round(v * 10) / 10), [-1, -0.6, -0.2, 0.2, 0.6, 1], file);
    } finally {
      await npz.close();
    }
  }
});

test('a missing file is E_NOT_FOUND naming the path', async () => {
  await assert.rejects(openCheckpoint(join(dir, 'nope.safetensors')), (e: { code?: string; userMessage?: string }) => {
    assert.equal(e.code, 'E_NOT_FOUND');
    assert.match(e.userMessage ?? '', /nope\.safetensors: no such file/);
    return true;
  });
});
