/**
 * What a training run leaves on disk, in `<out>/n<N>/`:
 *   ep{E}_moe.safetensors   the model after E epochs (paper key layout; F32, or F16 with `half`)
 *   optimizer.safetensors   resume state after the last finished epoch: F32 weights (`model.<key>`), Adam moments
 *                           (`<key>.exp_avg`, `<key>.exp_avg_sq`), metadata {epoch, step}
 *   args.json               the run's settings under the paper's argparse names
 *   train_log.json          loss, train and test accuracy per epoch
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SoftMoeError } from '../errors';
import { openCheckpoint } from '../io/openCheckpoint';
import { writeSafetensors, type TensorToWrite } from '../io/writeSafetensors';
import type { AdamState } from './adam';
import type { TrainLog } from './types';

export const OPTIMIZER_FILE = 'optimizer.safetensors';
export const ARGS_FILE = 'args.json';
export const LOG_FILE = 'train_log.json';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export function checkpointName(epoch: number): string {
  return `ep${epoch}_moe.safetensors`;
}

export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new SoftMoeError('E_NOT_FOUND', `${dir}: cannot create the output folder (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
  }
}

/** Write the model weights of one epoch in the paper's layout. */
export async function writeEpochCheckpoint(dir: string, epoch: number, params: Map<string, HostTensor>, half: boolean,
  metadata: Record<string, string>): Promise<string> {
  const tensors: TensorToWrite[] = [...params].map(([name, t]) => ({ name, dtype: half ? 'F16' : 'F32', shape: t.shape, data: t.data }));
  const path = join(dir, checkpointName(epoch));
  await writeSafetensors(path, tensors, { format: 'pt', epoch: String(epoch), ...metadata });
  return path;
}

export interface ResumeState {
  epoch: number;
  params: Map<string, HostTensor>;
  adam: AdamState;
}

export async function writeResumeState(dir: string, state: ResumeState): Promise<void> {
  const tensors: TensorToWrite[] = [];
  for (const [name, t] of state.params) tensors.push({ name: `model.${name}`, dtype: 'F32', shape: t.shape, data: t.data });
  for (const [name, t] of state.adam.tensors) tensors.push({ name, dtype: 'F32', shape: t.shape, data: t.data });
  await writeSafetensors(join(dir, OPTIMIZER_FILE), tensors, { epoch: String(state.epoch), step: String(state.adam.step), optimizer: 'adam' });
}

/** Read the resume state, or undefined when the folder has none. */
export async function readResumeState(dir: string): Promise<ResumeState | undefined> {
  const path = join(dir, OPTIMIZER_FILE);
  if (!existsSync(path)) return undefined;
  const ckpt = await openCheckpoint(path);
  try {
    const epoch = Number(ckpt.metadata.epoch);
    const step = Number(ckpt.metadata.step);
    if (!Number.isInteger(epoch) || epoch < 0 || !Number.isInteger(step) || step < 0) {
      throw new SoftMoeError('E_CORRUPT', `${path}: metadata 'epoch'/'step' missing or not a non-negative integer.`);
    }
    const params = new Map<string, HostTensor>();
    const moments = new Map<string, HostTensor>();
    for (const [name, entry] of ckpt.tensors) {
      const t = { shape: entry.shape, data: await entry.readFloat32() };
      if (name.startsWith('model.')) params.set(name.slice('model.'.length), t);
      else moments.set(name, t);
    }
    return { epoch, params, adam: { step, tensors: moments } };
  } finally {
    await ckpt.close();
  }
}

/** Write JSON through a temporary file and a rename, so a crash never leaves half a file. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
    await rename(tmp, path);
  } catch (err) {
    throw new SoftMoeError('E_NOT_FOUND', `${path}: cannot write (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
  }
}

export async function readTrainLog(dir: string): Promise<TrainLog | undefined> {
  const path = join(dir, LOG_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const log = JSON.parse(await readFile(path, 'utf8')) as TrainLog;
    if (!Array.isArray(log.epochs)) throw new Error('no epochs array');
    return log;
  } catch (err) {
    throw new SoftMoeError('E_CORRUPT', `${path}: not a training log written by softmoe train (${(err as Error).message}).`, { cause: err });
  }
}
