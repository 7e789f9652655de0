// Every file of the hostile corpus (test/fixtures/io/hostile, from gen_checkpoints.py) is refused with its own code
// and a one-line message that names the file and the problem; no payload ever runs; no file is modified.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftMoeError } from '../../../src/core/errors';
import { openCheckpoint } from '../../../src/core/io/openCheckpoint';

const dir = join(__dirname, '..', '..', 'fixtures', 'io', 'hostile');
const markerDir = '/tmp';
const markers = () => readdirSync(markerDir).filter((f) => f.startsWith('softmoe-pwned-'));

type Rule = [code: string, pattern: RegExp];
const RULES: Record<string, Rule> = {
  'whole_module.pt': ['E_UNSAFE', /refuses to load pickle global 'torch\.nn\.modules\.linear\.Linear'/],
  'legacy.pt': ['E_UNSUPPORTED', /legacy \(non-zip\) PyTorch pickle.*torch\.save\(/],
  'truncated.pt': ['E_CORRUPT', /not a readable zip/],
  'short_storage.pt': ['E_CORRUPT', /storage '0' has 16 bytes, fewer than its 10 F32 elements need \(40 bytes\)/],
  'tensor_past_storage.pt': ['E_CORRUPT', /tensor 'w' \(shape \[3\], offset 2\) reaches element 4 of a storage of 4 elements/],
  'missing_storage.pt': ['E_CORRUPT', /storage '0' named by the pickle is missing from the zip/],
  'unknown_opcode.pt': ['E_CORRUPT', /unknown opcode 0xff/],
  'overlap.safetensors': ['E_CORRUPT', /tensor 'b' \(bytes 4–12\) overlaps/],
  'hole.safetensors': ['E_CORRUPT', /hole of 4 bytes before tensor 'b'/],
  'past_end.safetensors': ['E_CORRUPT', /tensor data ends at byte \d+, past the end of the file/],
  'bad_dtype.safetensors': ['E_CORRUPT', /tensor 'a' has an unknown dtype "Q7"/],
  'wrong_size.safetensors': ['E_CORRUPT', /tensor 'a' has 8 bytes but shape \[3\] of F32 needs 12/],
  'huge_header.safetensors': ['E_CORRUPT', /header length \d+ is larger than the 100,000,000-byte limit/],
  'non_utf8.safetensors': ['E_CORRUPT', /header is not valid UTF-8/],
  'not_json.safetensors': ['E_CORRUPT', /header is not valid JSON/],
  'extra_key.safetensors': ['E_CORRUPT', /must have exactly dtype, shape and data_offsets/],
  'empty.safetensors': ['E_CORRUPT', /is empty \(0 bytes\)/],
  'object.npy': ['E_UNSAFE', /object dtype/],
  'lying.npy': ['E_CORRUPT', /shape \(1000\) of <f4 = 4,000 bytes, but the file holds 40 bytes/],
  'not_a_checkpoint.bin': ['E_FORMAT', /not a checkpoint we can read \(expected safetensors, a PyTorch zip, \.npy or \.npz\)/],
};
const PAYLOAD = /^(os_system|builtins_eval|builtins_exec|subprocess_Popen)-(global|stack_global|inst|obj)-(torchzip|barepkl)\.pt$/;

function ruleFor(file: string): Rule | undefined {
  const m = PAYLOAD.exec(file);
  if (m) return ['E_UNSAFE', new RegExp(`refuses to load pickle global '${m[1]!.replace('_', '\\.')}' \\(only tensors and containers are read\\)`)];
  return RULES[file];
}

async function fingerprint(path: string): Promise<string> {
  const st = await stat(path);
  return `${st.size} ${st.mtimeMs} ${createHash('sha256').update(await readFile(path)).digest('hex')}`;
}

test('every hostile file is refused with a specific one-line message, and no payload runs', async () => {
  for (const m of markers()) rmSync(join(markerDir, m));
  const files = readdirSync(dir).filter((f) => f !== 'laughs.pt' && f !== 'bomb.npz').sort();
  assert.equal(files.filter((f) => PAYLOAD.test(f)).length, 32, 'four targets × four routes × two layouts');
  for (const file of files) {
    const rule = ruleFor(file);
    assert.ok(rule, `${file} has no expectation in this test`);
    const path = join(dir, file);
    const before = await fingerprint(path);
    await assert.rejects(openCheckpoint(path), (err: unknown) => {
      assert.ok(err instanceof SoftMoeError, `${file}: ${String(err)}`);
      assert.equal(err.code, rule[0], `${file}: ${err.userMessage}`);
      assert.ok(err.userMessage.startsWith(`${path}: `), `${file}: message names the file: ${err.userMessage}`);
      assert.match(err.userMessage, rule[1], file);
      assert.ok(!err.userMessage.includes('\n'), `${file}: one line`);
      return true;
    });
    assert.equal(await fingerprint(path), before, `${file} was modified by reading it`);
  }
  assert.deepEqual(markers(), [], 'a payload created its marker file');
});

test('a pickle of exponentially shared lists opens quickly with its extras cut short', async () => {
  const ck = await openCheckpoint(join(dir, 'laughs.pt'));
  try {
    assert.deepEqual([...ck.tensors.keys()], ['w']);
    assert.match(JSON.stringify(ck.extras.laughs), /…/);
    assert.ok(JSON.stringify(ck.extras).length < 1_000_000);
  } finally {
    await ck.close();
  }
});

test('a deflate bomb opens by its header alone (no inflation beyond it) and is refused when its data is read', async () => {
  const path = join(dir, 'bomb.npz');
  const ck = await openCheckpoint(path);
  try {
    const t = ck.tensors.get('x');
    assert.ok(t);
    assert.equal(t.byteLength, 64 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(t.readFloat32(), (err: unknown) => {
      assert.ok(err instanceof SoftMoeError);
      assert.equal(err.code, 'E_CORRUPT');
      assert.match(err.userMessage, /zip entry 'x\.npy' claims a \d+:1 compression ratio/);
      return true;
    });
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'nothing of the 64 MiB member was allocated');
  } finally {
    await ck.close();
  }
});
