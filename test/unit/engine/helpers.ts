/** Shared helpers for the engine tests: fixture loading, backend loop, comparisons. */
import type * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFERENCE_ORDER, initBackend, type BackendName } from '../../../src/core/engine/backend';
import { loadOrt } from '../../../src/core/engine/onnx/ortRuntime';

export const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'engine');
/** tfjs backends that compute the model's ops eagerly (model-level parity tests). */
export const BACKENDS: BackendName[] = ['wasm', 'cpu'];
/** Whether onnxruntime-node is installed and loads here (an optional dependency). */
export const ONNX_AVAILABLE = loadOrt() !== undefined;
/**
 * Every backend the built-in engine runs on: the eager ones, and ONNX Runtime (graphs recorded from the same model
 * code) when installed.
 */
export const ENGINE_BACKENDS: BackendName[] = [...BACKENDS, ...(ONNX_AVAILABLE ? (['onnx'] as const) : [])];
export const TOL = 1e-4;

export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** The 64 Fashion-MNIST test images of the fixtures, [64, 28, 28, 1], 0–1. */
export function fixtureImages(): Float32Array {
  const buf = readFileSync(join(FIXTURES, 'inputs.f32'));
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

export async function useBackend(name: BackendName): Promise<void> {
  const got = await initBackend(name, INFERENCE_ORDER);
  if (got !== name) throw new Error(`backend ${name} did not start (got ${got})`);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function argmaxRows(v: ArrayLike<number>, cols: number): number[] {
  const out: number[] = [];
  for (let r = 0; r * cols < v.length; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (v[r * cols + c] > v[r * cols + best]) best = c;
    out.push(best);
  }
  return out;
}

export async function values(t: tf.Tensor): Promise<Float32Array> {
  return (await t.data()) as Float32Array;
}
