/**
 * The options several commands share, declared once with their defaults, and read back into the core's types.
 * A command adds the groups it takes (`addDataOptions`, `addEngineOptions`) and reads them with the matching
 * `read…` function, so a flag, its help and its default live in one place.
 */
import type { Command } from 'commander';
import { BACKEND_NAMES } from '../core/engine/backend';
import type { OpenEngineOptions } from '../core/engine/openEngine';
import { backendFlag, intFlag, splitFlag } from './flags';

/** Defaults shared by the commands (and shown in their help). */
export const DEFAULTS = { split: 'test', batch: '256' } as const;

export interface DataFlags {
  data: string;
  split: string;
  limit?: string;
  batch: string;
}

export interface DataChoice {
  data: string;
  split: 'train' | 'test';
  limit: number | null;
  batchSize: number;
}

/** --data, --split, --limit, --batch. `batchHelp` says what the batch size changes for this command. */
export function addDataOptions(cmd: Command, batchHelp = 'batch size'): Command {
  return cmd
    .requiredOption('--data <path>', 'dataset: IDX folder or files, CIFAR binary, .npy/.npz, or an image folder')
    .option('--split <split>', 'test or train', DEFAULTS.split)
    .option('--limit <n>', 'use only the first N examples')
    .option('--batch <n>', batchHelp, DEFAULTS.batch);
}

export function readDataFlags(flags: DataFlags): DataChoice {
  return {
    data: flags.data,
    split: splitFlag(flags.split),
    limit: flags.limit === undefined ? null : intFlag(flags.limit, '--limit'),
    batchSize: intFlag(flags.batch ?? DEFAULTS.batch, '--batch'),
  };
}

export interface BackendFlags {
  backend?: string;
}

/** --backend: the TensorFlow.js backend (training and the built-in engine). */
export function addBackendOption(cmd: Command): Command {
  return cmd.option('--backend <name>', `tfjs backend: ${BACKEND_NAMES.join(', ')} (default: the fastest available)`);
}

export type EngineFlags = BackendFlags;

/** What computes the model: the engine and its settings (today the built-in engine's tfjs backend). */
export function addEngineOptions(cmd: Command): Command {
  return addBackendOption(cmd);
}

export function readEngineFlags(flags: EngineFlags): Omit<OpenEngineOptions, 'sidecars'> {
  const backend = backendFlag(flags.backend);
  return backend ? { backend } : {};
}
