import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftMoeError } from '../../../src/core/errors';
import { unpickle } from '../../../src/core/io/pickle';
import { toJsonSafe } from '../../../src/core/io/pickleValues';

const dir = join(__dirname, '..', '..', 'fixtures', 'io', 'pickles');

test('plain containers unpickle identically from protocols 0 to 5', async () => {
  const expected = JSON.parse(await readFile(join(dir, 'expected.json'), 'utf8')) as unknown;
  for (let proto = 0; proto <= 5; proto++) {
    const value = unpickle(await readFile(join(dir, `proto${proto}.pkl`)), { label: `proto${proto}.pkl` });
    assert.deepEqual(JSON.parse(JSON.stringify(toJsonSafe(value))), expected, `protocol ${proto}`);
  }
});

function refuses(bytes: number[] | Uint8Array, code: string, pattern: RegExp): void {
  assert.throws(() => unpickle(Uint8Array.from(bytes), { label: 'x.pkl' }), (e: unknown) => {
    assert.ok(e instanceof SoftMoeError);
    assert.equal(e.code, code);
    assert.match(e.userMessage, /^x\.pkl: /);
    assert.match(e.userMessage, pattern);
    return true;
  });
}

const enc = (s: string) => [...Buffer.from(s, 'latin1')];

test('malformed and hostile pickles are refused without running anything', () => {
  refuses([0x80, 0x02], 'E_CORRUPT', /truncated/);
  refuses([0x80, 0x02, 0xff, 0x2e], 'E_CORRUPT', /unknown opcode 0xff/);
  refuses([0x80, 0x06, 0x4e, 0x2e], 'E_CORRUPT', /protocol 6/);
  refuses([0x80, 0x02, 0x68, 0x05, 0x2e], 'E_CORRUPT', /memo entry 5/);
  refuses([0x80, 0x02, 0x30, 0x2e], 'E_CORRUPT', /empty stack/);
  refuses([0x80, 0x02, 0x82, 0x01, 0x2e], 'E_UNSAFE', /extension registry/);
  refuses(enc('cposix\nsystem\n.'), 'E_UNSAFE', /refuses to load pickle global 'posix.system'/);
  refuses(enc('ctorch.storage\n_load_from_bytes\n.'), 'E_UNSAFE', /torch\.storage\._load_from_bytes/);
  refuses(enc('ctorch\nFloatStorage\n)R.'), 'E_UNSAFE', /refuses to call pickle global 'torch.FloatStorage'/);
  refuses(enc('(lN\x85b.'), 'E_UNSAFE', /sets state on a list/);
  refuses(enc('\x80\x02X\x01\x00\x00\x00aQ.'), 'E_UNSAFE', /persistent ids/);
  refuses(enc('ctorch\nComplexFloatStorage\n.'), 'E_UNSUPPORTED', /ComplexFloatStorage/);
  refuses(enc('cnumpy.core.multiarray\n_reconstruct\n.'), 'E_UNSAFE', /numpy\.core\.multiarray\._reconstruct/);
  refuses(enc('cargparse\nNamespace\n)\x81(lb.'), 'E_CORRUPT', /Namespace state that is not a dict/);
});

test('stack and memo sizes are capped', () => {
  const many = new Uint8Array(2 + 1000 + 1).fill(0x4e);
  many[0] = 0x80;
  many[1] = 0x02;
  assert.throws(() => unpickle(many, { label: 'x.pkl', maxStack: 100 }), /stack exceeds 100 items/);
  const memo = [0x80, 0x04, 0x4e];
  for (let i = 0; i < 50; i++) memo.push(0x94);
  assert.throws(() => unpickle(Uint8Array.from(memo), { label: 'x.pkl', maxMemo: 10 }), /memo exceeds 10 entries/);
});
