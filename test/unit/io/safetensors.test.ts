import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoftMoeError } from '../../../src/core/errors';
import { BufferByteSource } from '../../../src/core/io/fileSource';
import { openSafetensors, readSafetensorsHeader } from '../../../src/core/io/safetensors';
import { openShardedSafetensors } from '../../../src/core/io/shardedSafetensors';
import { encodeSafetensors, writeSafetensors, type TensorToWrite } from '../../../src/core/io/writeSafetensors';
import type { DType } from '../../../src/core/io/types';

const values = [0, 1, -2, 3.5, -0.25, 100, 7, -7];
const ints = [0, 1, -2, 3, -4, 100, 7, -7];

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}

/** A safetensors file from a raw header object and data length. */
function raw(header: unknown, dataBytes: number, headerLength?: bigint): Uint8Array {
  const json = typeof header === 'string' ? new TextEncoder().encode(header) : new TextEncoder().encode(JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, headerLength ?? BigInt(json.byteLength), true);
  return concat([len, json, new Uint8Array(dataBytes)]);
}

async function refused(bytes: Uint8Array, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readSafetensorsHeader(new BufferByteSource(bytes, 'bad.safetensors'), 'bad.safetensors'), (err: unknown) => {
    assert.ok(err instanceof SoftMoeError);
    assert.equal(err.code, code);
    assert.match(err.userMessage, /^bad\.safetensors: /);
    assert.match(err.userMessage, pattern);
    assert.ok(!err.userMessage.includes('\n'));
    return true;
  });
}

test('writeSafetensors round-trips every dtype, metadata and shapes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-st-'));
  try {
    const dtypes: DType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL'];
    const tensors: TensorToWrite[] = dtypes.map((dtype) => ({
      name: `t.${dtype}`,
      dtype,
      shape: [2, 4],
      data: dtype === 'U8' ? ints.map(Math.abs) : dtype === 'BOOL' ? ints.map((v) => (v > 0 ? 1 : 0)) : dtype.startsWith('I') ? ints : values,
    }));
    tensors.push({ name: 'empty', dtype: 'F32', shape: [0, 3], data: [] }, { name: 'scalar', dtype: 'F32', shape: [], data: [42] });
    const path = join(dir, 'model.safetensors');
    await writeSafetensors(path, tensors, { format: 'pt', note: 'ünïcode' });
    assert.deepEqual(await readdir(dir), ['model.safetensors'], 'no temp file left behind');
    const ck = await openSafetensors(path);
    try {
      assert.equal(ck.format, 'safetensors');
      assert.deepEqual(ck.metadata, { format: 'pt', note: 'ünïcode' });
      assert.deepEqual([...ck.tensors.keys()], tensors.map((t) => t.name));
      for (const t of tensors) {
        const e = ck.tensors.get(t.name)!;
        assert.equal(e.dtype, t.dtype);
        assert.deepEqual(e.shape, t.shape);
        assert.deepEqual([...(await e.readFloat32())], [...(t.data as number[])], t.name);
      }
    } finally {
      await ck.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('F16 and BF16 round to nearest and keep specials', async () => {
  const data = [1 / 3, 65504, 1e-8, -Infinity, 70000];
  const bytes = concat(encodeSafetensors([{ name: 'h', dtype: 'F16', shape: [5], data }, { name: 'b', dtype: 'BF16', shape: [5], data }]));
  const src = new BufferByteSource(bytes, 'x.safetensors');
  const { openSafetensorsSource } = await import('../../../src/core/io/safetensors');
  const ck = await openSafetensorsSource(src, 'x.safetensors');
  const h = await ck.tensors.get('h')!.readFloat32();
  assert.ok(Math.abs(h[0]! - 1 / 3) < 1e-3);
  assert.equal(h[1], 65504);
  assert.equal(h[2], 0);
  assert.equal(h[3], -Infinity);
  assert.equal(h[4], Infinity);
  const b = await ck.tensors.get('b')!.readFloat32();
  assert.ok(Math.abs(b[0]! - 1 / 3) < 3e-3);
  assert.equal(b[3], -Infinity);
});

test('writer refuses mismatched data and leaves nothing behind', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-st-'));
  try {
    await assert.rejects(writeSafetensors(join(dir, 'a.safetensors'), [{ name: 'x', dtype: 'F32', shape: [3], data: [1, 2] }]), /needs 3 values/);
    await assert.rejects(writeSafetensors(join(dir, 'a.safetensors'), [{ name: 'x', dtype: 'I8', shape: [1], data: [300] }]), /not a valid I8/);
    assert.deepEqual(await readdir(dir), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('header validation rules each give their own message', async () => {
  const t = (dtype: string, shape: number[], off: [number, number]) => ({ dtype, shape, data_offsets: off });
  await refused(new Uint8Array(0), 'E_CORRUPT', /empty/);
  await refused(new Uint8Array(5), 'E_CORRUPT', /too short/);
  await refused(raw({}, 0, 200_000_000n), 'E_CORRUPT', /100,000,000/);
  await refused(raw({}, 0, 1000n), 'E_CORRUPT', /past the end/);
  await refused(raw('[1,2]', 0), 'E_CORRUPT', /not a JSON object/);
  await refused(raw('{"a":', 0), 'E_CORRUPT', /not valid JSON/);
  await refused(concat([raw('{"a":1}', 0).slice(0, 8), new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x20, 0x20, 0x20])]), 'E_CORRUPT', /UTF-8/);
  await refused(raw({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [4, 12]) }, 12), 'E_CORRUPT', /'b'.*overlaps/);
  await refused(raw({ a: t('F32', [2], [0, 8]), b: t('F32', [2], [12, 20]) }, 20), 'E_CORRUPT', /hole of 4 bytes before tensor 'b'/);
  await refused(raw({ a: t('F32', [2], [0, 8]) }, 4), 'E_CORRUPT', /past the end/);
  await refused(raw({ a: t('F32', [2], [0, 8]) }, 12), 'E_CORRUPT', /4 bytes after the last tensor/);
  await refused(raw({ a: t('F32', [3], [0, 8]) }, 8), 'E_CORRUPT', /'a' has 8 bytes but shape \[3\] of F32 needs 12/);
  await refused(raw({ a: t('Q7', [2], [0, 8]) }, 8), 'E_CORRUPT', /unknown dtype "Q7"/);
  await refused(raw({ a: t('F8_E4M3', [8], [0, 8]) }, 8), 'E_UNSUPPORTED', /F8_E4M3/);
  await refused(raw({ a: { ...t('F32', [2], [0, 8]), extra: 1 } }, 8), 'E_CORRUPT', /exactly dtype, shape and data_offsets/);
  await refused(raw({ a: t('F32', [-2], [0, 8]) }, 8), 'E_CORRUPT', /invalid shape/);
  await refused(raw({ a: t('F32', [2 ** 40, 2 ** 40], [0, 8]) }, 8), 'E_CORRUPT', /too many elements/);
  await refused(raw({ a: t('F32', [2], [8, 0]) }, 8), 'E_CORRUPT', /end before they begin/);
  await refused(raw({ __metadata__: { k: 3 } }, 0), 'E_CORRUPT', /__metadata__ value 'k'/);
});

test('sharded checkpoints read through index.json and refuse shards outside the folder', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'softmoe-st-'));
  try {
    await writeSafetensors(join(dir, 'm-1.safetensors'), [{ name: 'a', dtype: 'F32', shape: [2], data: [1, 2] }]);
    await writeSafetensors(join(dir, 'm-2.safetensors'), [{ name: 'b', dtype: 'F16', shape: [1], data: [3] }]);
    const index = join(dir, 'm.safetensors.index.json');
    await writeFile(index, JSON.stringify({ metadata: { total_size: 10 }, weight_map: { b: 'm-2.safetensors', a: 'm-1.safetensors' } }));
    const ck = await openShardedSafetensors(index);
    assert.equal(ck.format, 'safetensors-sharded');
    assert.deepEqual([...ck.tensors.keys()], ['b', 'a']);
    assert.deepEqual([...(await ck.tensors.get('a')!.readFloat32())], [1, 2]);
    assert.deepEqual(ck.metadata, { total_size: '10' });
    await ck.close();
    await writeFile(index, JSON.stringify({ weight_map: { a: '../m-1.safetensors' } }));
    await assert.rejects(openShardedSafetensors(index), /must name a shard file in the same folder/);
    await writeFile(index, JSON.stringify({ weight_map: { c: 'm-1.safetensors' } }));
    await assert.rejects(openShardedSafetensors(index), /tensor 'c' is mapped to 'm-1.safetensors' but that shard does not contain it/);
    await writeFile(index, JSON.stringify({ weight_map: { c: 'gone.safetensors' } }));
    await assert.rejects(openShardedSafetensors(index), (e: unknown) => (e as SoftMoeError).code === 'E_NOT_FOUND');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
