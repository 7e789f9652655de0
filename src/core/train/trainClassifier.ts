/**
 * The training loop of `softmoe train`: mini-batch Adam on cross-entropy, a seeded shuffle per epoch, test
 * accuracy after every epoch, checkpoints on chosen epochs, and resume state after every epoch.
 *
 * Determinism: the example order of epoch e is a permutation drawn from (seed, e) alone, and the initial weights
 * from the seed alone, so a run and a run resumed from any finished epoch produce the same weights on one backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SoftMoeError, throwIfAborted } from '../errors';
import { Adam, type AdamConfig, type AdamState } from './adam';
import { mixSeed, permutation } from './prng';
import {
  ARGS_FILE, LOG_FILE, OPTIMIZER_FILE, ensureDir, readResumeState, readTrainLog, writeEpochCheckpoint, writeJson,
  writeResumeState, type HostTensor,
} from './runFolder';
import { crossEntropy, trainStep } from './trainStep';
import type { TokenSet } from './tokenCache';
import type { TrainableModel } from './trainableModel';
import type { ProgressFn, TrainLog, TrainLogEntry } from './types';

export interface TrainClassifierOptions {
  model: TrainableModel;
  train: TokenSet;
  test?: TokenSet;
  numClasses: number;
  epochs: number;
  batchSize: number;
  seed: number;
  adam?: Partial<AdamConfig>;
  /** Run folder (created). */
  outDir: string;
  /** Epochs (1-based) whose weights are written as ep{E}_moe.safetensors. The last epoch is always written. */
  saveEpochs: number[];
  half: boolean;
  /** Continue from optimizer.safetensors in outDir; without it a folder that already holds a run is refused. */
  resume: boolean;
  /** Written as args.json (the paper's field names). */
  args: Record<string, unknown>;
  backend: string;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  onEpoch?: (entry: TrainLogEntry) => void;
}

export interface TrainResult {
  log: TrainLog;
  /** Epoch the run started from (0 for a fresh run). */
  resumedFrom: number;
}

/** The model's weights in checkpoint (state_dict) layout. */
export async function hostParams(model: TrainableModel): Promise<Map<string, HostTensor>> {
  const out = new Map<string, HostTensor>();
  for (const [name, v] of model.params) out.set(name, model.toCheckpoint(name, { shape: v.shape, data: (await v.data()) as Float32Array }));
  return out;
}

/** Adam moments in checkpoint layout (`<key>.exp_avg`, `<key>.exp_avg_sq`), and back. */
function convertAdamState(state: AdamState, conv: (name: string, t: HostTensor) => HostTensor): AdamState {
  const tensors = new Map<string, HostTensor>();
  for (const [key, t] of state.tensors) tensors.set(key, conv(key.replace(/\.exp_avg(_sq)?$/, ''), t));
  return { step: state.step, tensors };
}

export async function trainClassifier(o: TrainClassifierOptions): Promise<TrainResult> {
  if (!Number.isInteger(o.epochs) || o.epochs < 1) throw new SoftMoeError('E_USAGE', `--epochs must be a positive integer (got ${o.epochs}).`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new SoftMoeError('E_USAGE', `--batch must be a positive integer (got ${o.batchSize}).`);
  await ensureDir(o.outDir);
  const adam = new Adam(o.model.params, o.adam);
  try {
    let log: TrainLog = { numExperts: Number(o.args.num_experts ?? 0), seed: o.seed, backend: o.backend, epochs: [] };
    let start = 0;
    const resumeState = o.resume ? await readResumeState(o.outDir) : undefined;
    if (resumeState) {
      loadParams(o.model, resumeState.params, join(o.outDir, OPTIMIZER_FILE));
      adam.setState(convertAdamState(resumeState.adam, o.model.fromCheckpoint), join(o.outDir, OPTIMIZER_FILE));
      start = resumeState.epoch;
      const old = await readTrainLog(o.outDir);
      if (old) log = { ...old, epochs: old.epochs.filter((e) => e.epoch <= start) };
    } else if (!o.resume && (existsSync(join(o.outDir, OPTIMIZER_FILE)) || existsSync(join(o.outDir, LOG_FILE)))) {
      throw new SoftMoeError('E_USAGE', `${o.outDir} already holds a training run: pass --resume to continue it, or choose another --out.`);
    }
    await writeJson(join(o.outDir, ARGS_FILE), o.args);
    const save = new Set([...o.saveEpochs, o.epochs]);
    for (let epoch = start + 1; epoch <= o.epochs; epoch++) {
      const entry = await runEpoch(o, adam, epoch);
      throwIfAborted(o.signal);
      o.onProgress?.({ phase: 'save', epoch, epochs: o.epochs, done: 0, total: 1 });
      const params = await hostParams(o.model);
      if (save.has(epoch)) {
        await writeEpochCheckpoint(o.outDir, epoch, params, o.half, { num_experts: String(o.args.num_experts ?? '') });
        entry.checkpoint = `ep${epoch}_moe.safetensors`;
      }
      await writeResumeState(o.outDir, { epoch, params, adam: convertAdamState(await adam.getState(), o.model.toCheckpoint) });
      log.epochs.push(entry);
      await writeJson(join(o.outDir, LOG_FILE), log);
      o.onEpoch?.(entry);
    }
    return { log, resumedFrom: start };
  } finally {
    adam.dispose();
  }
}

function loadParams(model: TrainableModel, saved: Map<string, HostTensor>, source: string): void {
  for (const [name, v] of model.params) {
    const s = saved.get(name);
    if (!s) throw new SoftMoeError('E_CORRUPT', `${source}: tensor 'model.${name}' is missing.`);
    if (s.shape.length > 2 || s.data.length !== v.size) {
      throw new SoftMoeError('E_SHAPE', `${source}: tensor 'model.${name}' has shape [${s.shape.join(', ')}], which does not fit the model (different --experts?).`);
    }
    const t = model.fromCheckpoint(name, s);
    if (t.shape.join(',') !== v.shape.join(',')) {
      throw new SoftMoeError('E_SHAPE', `${source}: tensor 'model.${name}' has shape [${t.shape.join(', ')}], the model needs [${v.shape.join(', ')}] (different --experts?).`);
    }
    v.assign(tf.tensor(t.data, v.shape, 'float32'));
  }
}

async function runEpoch(o: TrainClassifierOptions, adam: Adam, epoch: number): Promise<TrainLogEntry> {
  const { train, model, batchSize } = o;
  const order = permutation(train.count, mixSeed(o.seed, epoch));
  const xBuf = new Float32Array(batchSize * train.width);
  const yBuf = new Int32Array(batchSize);
  let lossSum = 0;
  let steps = 0;
  let correct = 0;
  const t0 = performance.now();
  for (let s = 0; s < train.count; s += batchSize) {
    throwIfAborted(o.signal);
    const b = Math.min(batchSize, train.count - s);
    for (let i = 0; i < b; i++) {
      const idx = order[s + i] as number;
      xBuf.set(train.tokens.subarray(idx * train.width, (idx + 1) * train.width), i * train.width);
      yBuf[i] = train.labels[idx] as number;
    }
    const x = tf.tensor3d(xBuf.subarray(0, b * train.width), [b, model.tokens, model.dim]);
    const y = tf.oneHot(tf.tensor1d(yBuf.subarray(0, b), 'int32'), o.numClasses) as tf.Tensor2D;
    const r = trainStep(model, adam, x, (logits) => crossEntropy(logits, y));
    tf.dispose([x, y]);
    if (!Number.isFinite(r.loss)) throw new SoftMoeError('E_INTERNAL', `Training diverged at epoch ${epoch}: the loss became ${r.loss} (try a smaller --lr).`);
    lossSum += r.loss;
    steps += 1;
    for (let i = 0; i < b; i++) if (r.predictions[i] === yBuf[i]) correct++;
    const done = s + b;
    o.onProgress?.({ phase: 'train', epoch, epochs: o.epochs, done, total: train.count, loss: lossSum / steps, examplesPerSecond: done / ((performance.now() - t0) / 1000) });
    await new Promise<void>((r2) => setImmediate(r2)); // let the signal and the progress bar through
  }
  const seconds = (performance.now() - t0) / 1000;
  let testAccuracy: number | null = null;
  let testLoss: number | null = null;
  if (o.test) {
    const ev = evaluateTokens(model, o.test, o.numClasses, 1000, o.signal, (done, total) => o.onProgress?.({ phase: 'test', epoch, epochs: o.epochs, done, total }));
    testAccuracy = ev.accuracy;
    testLoss = ev.loss;
  }
  return { epoch, loss: lossSum / steps, trainAccuracy: correct / train.count, testAccuracy, testLoss, seconds, examplesPerSecond: train.count / seconds, checkpoint: null };
}

/** Accuracy (counted in JS integers) and mean cross-entropy of the model on cached tokens. */
export function evaluateTokens(model: TrainableModel, data: TokenSet, numClasses: number, batchSize = 1000,
  signal?: AbortSignal, onProgress?: (done: number, total: number) => void): { accuracy: number; loss: number; correct: number } {
  let correct = 0;
  let lossSum = 0;
  for (let s = 0; s < data.count; s += batchSize) {
    throwIfAborted(signal);
    const b = Math.min(batchSize, data.count - s);
    const labels = data.labels.subarray(s, s + b);
    const [pred, loss] = tf.tidy(() => {
      const x = tf.tensor3d(data.tokens.subarray(s * data.width, (s + b) * data.width), [b, model.tokens, model.dim]);
      const logits = model.apply(x);
      const y = tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses) as tf.Tensor2D;
      return [tf.argMax(logits, 1), crossEntropy(logits, y)];
    });
    const p = pred.dataSync();
    for (let i = 0; i < b; i++) if (p[i] === labels[i]) correct++;
    lossSum += (loss.dataSync()[0] as number) * b;
    tf.dispose([pred, loss]);
    onProgress?.(s + b, data.count);
  }
  return { accuracy: correct / data.count, loss: lossSum / data.count, correct };
}
