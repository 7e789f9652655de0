/** Loading the ViT parity fixtures written by test/fixtures/vit/gen_vit.py. */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const VIT_FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'vit');

export interface VitCase {
  name: string;
  drop: 'zero' | 'renorm';
  /** Per MoE layer: [b][n] 0/1, or null (keep all). */
  masks: Array<number[][] | null>;
  logits: number[][];
}

export interface VitExpected {
  inputShape: [number, number, number, number];
  labels: number[];
  moeBlocks: number[];
  fullLogits: number[][];
  /** Per MoE layer: [b][n] combine weights summed over tokens and slots. */
  scores: number[][][];
  cases: VitCase[];
  /** Per-layer top-k selection inside one pass; `masks` are the masks each layer chose. */
  selected: Array<VitCase & { k: number }>;
}

/** Each fixture model: the checkpoint to open and the folder with its inputs and PyTorch's outputs. */
export const VIT_MODELS = [
  { label: 'per-expert, 3 channels, token pool, config.json', checkpoint: 'vit_rgb/model.pt', data: 'vit_rgb' },
  { label: 'stacked experts under model, config.json', checkpoint: 'vit_rgb_stacked/best_checkpoint.pth', data: 'vit_rgb' },
  { label: 'per-expert, 1 channel, avg pool + fc_norm, softmoe.json', checkpoint: 'vit_gray/model.pt', data: 'vit_gray' },
] as const;

export function readExpected(data: string): VitExpected {
  return JSON.parse(readFileSync(join(VIT_FIXTURES, data, 'expected.json'), 'utf8')) as VitExpected;
}

/** The fixture's images as a dataset yields them: uint8 / 255, [b, H, W, C]. */
export function readImages(data: string, shape: VitExpected['inputShape']): tf.Tensor4D {
  const u8 = readFileSync(join(VIT_FIXTURES, data, 'inputs.u8'));
  return tf.tensor4d(Float32Array.from(u8, (v) => v / 255), shape);
}

export function flat(rows: number[][]): number[] {
  return rows.flat();
}
