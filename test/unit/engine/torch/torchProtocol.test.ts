/**
 * The runner protocol's frames and version, the runner's own logic tests (device choice, chunk size, out of memory;
 * test_runner_logic.py, with a fake torch), and that the runner ships in both packages.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SoftMoeError } from '../../../../src/core/errors';
import { encodeFrame, float32Of, FrameDecoder, int32Of } from '../../../../src/core/engine/torch/frames';
import { findRunnerScript } from '../../../../src/core/engine/torch/runnerScript';
import { MAX_FRAME_BUFFERS, MAX_HEADER_BYTES, TORCH_PROTOCOL_VERSION, parseRunnerMessage } from '../../../../src/core/protocol/torchProtocol';
import { PYTHON, SKIP_TORCH } from './torchHelpers';

const ROOT = resolve(__dirname, '..', '..', '..', '..');

function concat(parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
}

describe('torch protocol frames', () => {
  it('round-trips a header and raw little-endian arrays, however the bytes are split', () => {
    const f = new Float32Array([1.5, -2, 3.25, Number.MAX_VALUE > 0 ? 1e-30 : 0]);
    const i = new Int32Array([7, -1, 2 ** 30]);
    const u = new Uint8Array([0, 1, 1, 0, 255]);
    const bytes = concat([...encodeFrame({ type: 'traced', re: 3 }, [f, u, i]), ...encodeFrame({ type: 'done', re: 4 })]);
    // Little-endian on the wire, whatever the host.
    assert.equal(bytes.readUInt32LE(4), 3);
    for (const step of [1, 3, 7, bytes.length]) {
      const d = new FrameDecoder();
      const frames = [];
      for (let at = 0; at < bytes.length; at += step) frames.push(...d.push(bytes.subarray(at, at + step)));
      assert.equal(frames.length, 2, `step ${step}`);
      assert.deepEqual(frames[0]?.header, { type: 'traced', re: 3 });
      assert.deepEqual([...float32Of(frames[0]?.buffers[0] as Uint8Array, 4, 'f')], [...f]);
      assert.deepEqual([...(frames[0]?.buffers[1] as Uint8Array)], [...u]);
      assert.deepEqual([...int32Of(frames[0]?.buffers[2] as Uint8Array, 3, 'i')], [...i]);
      assert.deepEqual(frames[1], { header: { type: 'done', re: 4 }, buffers: [] });
    }
  });

  it('refuses frames over the limits before reading them, and arrays of the wrong size', () => {
    const big = Buffer.alloc(8);
    big.writeUInt32LE(MAX_HEADER_BYTES + 1, 0);
    assert.throws(() => new FrameDecoder().push(big), (e: unknown) => e instanceof SoftMoeError && e.code === 'E_ENGINE');
    const many = Buffer.alloc(8);
    many.writeUInt32LE(2, 0);
    many.writeUInt32LE(MAX_FRAME_BUFFERS + 1, 4);
    assert.throws(() => new FrameDecoder().push(many), /over the protocol's limits/);
    assert.throws(() => float32Of(new Uint8Array(12), 4, 'the logits'), /sent 12 bytes for the logits, expected 16/);
  });

  it('knows the runner\'s messages and nothing else', () => {
    assert.equal(parseRunnerMessage({ type: 'predictions', re: 1, count: 1, b: 2 })?.type, 'predictions');
    assert.equal(parseRunnerMessage({ type: 'exec', code: 'x' }), null);
    assert.equal(parseRunnerMessage([1]), null);
  });

  it('the runner and this code speak the same protocol version', () => {
    const py = readFileSync(findRunnerScript(), 'utf8');
    assert.equal(Number(/^PROTOCOL_VERSION = (\d+)$/m.exec(py)?.[1]), TORCH_PROTOCOL_VERSION);
    const header = /^MAX_HEADER = (\d+) << (\d+)$/m.exec(py);
    assert.equal(Number(header?.[1]) * 2 ** Number(header?.[2]), MAX_HEADER_BYTES);
    assert.equal(Number(/^MAX_BUFFERS = (\d+)$/m.exec(py)?.[1]), MAX_FRAME_BUFFERS);
  });
});

describe('the runner ships with the extension and the npm package', () => {
  it('the build copies it into dist/, and both package manifests keep it', () => {
    assert.match(readFileSync(join(ROOT, 'scripts', 'build.mjs'), 'utf8'), /softmoe_runner\.py'\), join\(root, 'dist\/softmoe_runner\.py'\)/);
    assert.match(readFileSync(join(ROOT, '.vscodeignore'), 'utf8'), /^!dist\/softmoe_runner\.py$/m);
    const npmignore = readFileSync(join(ROOT, '.npmignore'), 'utf8');
    assert.match(npmignore, /^!dist\/softmoe_runner\.py$/m);
    assert.match(npmignore, /^!dist\/cli\.js$/m);
  });
});

describe('the runner\'s own logic (device choice, chunk size, out of memory) with a fake torch', { skip: SKIP_TORCH }, () => {
  it('passes test_runner_logic.py', () => {
    const r = spawnSync(PYTHON.path, ['-B', join(__dirname, 'test_runner_logic.py'), '-v'], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, /Ran \d+ tests/);
    assert.doesNotMatch(r.stderr, /skipped/);
  });
});
