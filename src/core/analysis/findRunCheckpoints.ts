/**
 * Checkpoints of a training run folder, by epoch: `ep{E}_moe.safetensors`, `ep{E}_moe.pt`, `ep{E}.safetensors`…
 * (the paper's naming and `softmoe train`'s). Used by the demo and by "Analyze Training Run".
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SoftMoeError } from '../errors';

export interface RunCheckpoint {
  epoch: number;
  path: string;
}

const EPOCH_FILE = /^ep(\d+)(?:_moe)?\.(safetensors|pt|pth|ckpt|bin)$/;

/** Epoch checkpoints in `folder`, oldest first; when an epoch is saved twice, safetensors wins. */
export async function findRunCheckpoints(folder: string): Promise<RunCheckpoint[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch (err) {
    throw new SoftMoeError('E_NOT_FOUND', `${folder}: cannot list the training run folder (${(err as Error).message})`, { cause: err });
  }
  const byEpoch = new Map<number, string>();
  for (const name of names.sort()) {
    const m = EPOCH_FILE.exec(name);
    if (!m) continue;
    const epoch = Number(m[1]);
    const prev = byEpoch.get(epoch);
    if (prev === undefined || m[2] === 'safetensors') byEpoch.set(epoch, name);
  }
  return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, name]) => ({ epoch, path: join(folder, name) }));
}
