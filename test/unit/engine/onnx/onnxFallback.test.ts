/**
 * The built-in engine without ONNX Runtime, or with a model ONNX Runtime cannot take, falls back to wasm with the same
 * results:
 *   - a process in which onnxruntime-node cannot be found (test/unit/engine/onnx/hideOnnxRuntime.mjs) analyses on wasm
 *     and gets the same counts at every curve point as one on onnx;
 *   - a model with an operation the graph recorder has no mapping for runs on wasm, with a one-line notice naming
 *     the kernel, and predicts as the wasm engine does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { AdvanceOptions } from '../../../../src/core/engine/model';
import { builtInEngine } from '../../../../src/core/engine/openEngine';
import { createTfjsEngine } from '../../../../src/core/engine/tfjsEngine';
import { FakeModel } from '../../analysis/fakeModel';
import { SMALL } from '../../analysis/setup';
import { randomImages } from '../engineContract';
import { FIXTURES, ONNX_AVAILABLE, useBackend } from '../helpers';

const LAYOUTS = join(FIXTURES, '..', 'layouts');
const ROOT = join(__dirname, '..', '..', '..', '..');

function analyzeInChild(hide: boolean): { backend: string; label: string; fullCorrect: number; curves: unknown; log: string[] } {
  const out = execFileSync(process.execPath, [
    ...(hide ? ['--import', join(__dirname, 'hideOnnxRuntime.mjs')] : []), '--import', 'tsx', join(__dirname, 'analyzeChild.ts'),
    join(LAYOUTS, 'vit-lucidrains', 'model.pt'), join(LAYOUTS, 'data', 'fashion128.npz'), '32',
  ], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  return JSON.parse(out) as ReturnType<typeof analyzeInChild>;
}

/** The fake model with an operation (cumulative sum, tfjs kernel 'Cumsum') that no ONNX mapping records. */
class UnmappedOpModel extends FakeModel {
  override advance(li: number, x: tf.Tensor3D, opts: AdvanceOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const y = super.advance(li, x, opts);
      return tf.sub(tf.cumsum(y, 1), tf.pad(tf.slice(tf.cumsum(y, 1), [0, 0], [y.shape[0] as number, (y.shape[1] as number) - 1]), [[0, 0], [1, 0]]));
    });
  }
}

describe('the built-in engine without ONNX Runtime', { skip: !ONNX_AVAILABLE && 'onnxruntime-node is not installed here' }, () => {
  it('analyses on wasm when onnxruntime-node cannot be found, with the same count at every curve point as on onnx', () => {
    const withOrt = analyzeInChild(false);
    const without = analyzeInChild(true);
    assert.equal(withOrt.backend, 'onnx', 'ONNX Runtime is the default where it is installed');
    assert.equal(without.backend, 'wasm', 'without it the engine runs on wasm');
    assert.match(without.label, /wasm/);
    assert.equal(without.fullCorrect, withOrt.fullCorrect);
    assert.deepEqual(without.curves, withOrt.curves);
  });

  it('runs a model with an operation ONNX graphs cannot record on wasm, with a notice naming the kernel and the same predictions', async () => {
    await useBackend('onnx');
    const lines: string[] = [];
    const engine = await builtInEngine(new UnmappedOpModel(SMALL), 'onnx', (l) => lines.push(l));
    await useBackend('wasm');
    const reference = createTfjsEngine(new UnmappedOpModel(SMALL));
    try {
      assert.equal(engine.description.backend, 'wasm');
      assert.match(engine.description.label, /^tfjs wasm \(ONNX Runtime cannot run this model: .*'Cumsum'\)$/, 'the label every output shows says why');
      assert.equal(lines.length, 1, `one notice: ${JSON.stringify(lines)}`);
      assert.match(lines[0] as string, /ONNX Runtime cannot run this model .*'Cumsum'.*running it on wasm instead/);
      const { x, b } = randomImages(engine, 12, 3);
      const n = engine.info.moeLayers[0]?.numExperts as number;
      const masks = [Uint8Array.from({ length: 3 * b * n }, (_, i) => (i % 3 === 0 ? 0 : 1))];
      const got = await engine.begin(x, b);
      const want = await reference.begin(x, b);
      assert.deepEqual(await got.predict(), await want.predict());
      assert.deepEqual(await got.run({ drop: 'renorm', count: 3, masks }), await want.run({ drop: 'renorm', count: 3, masks }));
      await got.close();
      await want.close();
    } finally {
      await engine.dispose();
      await reference.dispose();
    }
  });
});
