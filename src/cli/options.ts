/**
 * The options several commands share, declared once with their defaults, and read back into the core's types.
 * A command adds the groups it takes (`addDataOptions`, `addEngineOptions`) and reads them with the matching
 * `read…` function, so a flag, its help and its default live in one place.
 */
import type { Command } from 'commander';
import pc from 'picocolors';
import { INFERENCE_ORDER, type BackendName } from '../core/engine/backend';
import { ENGINE_CHOICES, type EngineChoice, type OpenEngineOptions } from '../core/engine/openEngine';
import { defaultPython, type PythonChoice } from '../core/engine/torch/runnerProcess';
import { backendFlag, intFlag, splitFlag, usage } from './flags';
import { safeText } from './format/safeText';

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

/**
 * --backend: how the built-in engine computes (`order`: INFERENCE_ORDER for analysis and evaluation, where onnx is
 * ONNX Runtime; TRAINING_ORDER for training, tfjs's backends with gradients).
 */
export function addBackendOption(cmd: Command, order: readonly BackendName[] = INFERENCE_ORDER): Command {
  const what = order.includes('onnx') ? 'backend (onnx: ONNX Runtime; node, wasm, cpu: TensorFlow.js)' : 'tfjs backend';
  return cmd.option('--backend <name>', `${what}: ${order.join(', ')} (default: the first of these that starts)`);
}

export interface EngineFlags extends BackendFlags {
  engine?: string;
  python?: string;
  device?: string;
}

/**
 * What computes the model: --engine (tfjs, the built-in engine; torch, the model's own code named in softmoe.json,
 * in your PyTorch; auto), --backend for tfjs, --python and --device for torch.
 */
export function addEngineOptions(cmd: Command): Command {
  return addBackendOption(cmd)
    .option('--engine <name>', 'tfjs (built in), torch (the model\'s own code from softmoe.json, run by your PyTorch) or auto (torch when softmoe.json names a model factory)', 'tfjs')
    .option('--python <path>', 'torch engine: the Python interpreter (default: python3 on PATH)')
    .option('--device <name>', 'torch engine: auto (cuda when available, else cpu), cpu, cuda, cuda:N or mps', 'auto');
}

export function readEngineFlags(flags: EngineFlags): Omit<OpenEngineOptions, 'sidecars'> {
  const backend = backendFlag(flags.backend);
  const engine = flags.engine ?? 'tfjs';
  if (!(ENGINE_CHOICES as readonly string[]).includes(engine)) usage(`--engine must be ${ENGINE_CHOICES.join(', ')}, got '${engine}'.`);
  const device = flags.device ?? 'auto';
  if (!/^(auto|cpu|cuda|cuda:\d+|mps)$/.test(device)) usage(`--device must be auto, cpu, cuda, cuda:N or mps, got '${device}'.`);
  if (engine === 'tfjs' && (flags.python !== undefined || device !== 'auto')) usage('--python and --device choose how the torch engine runs; add --engine torch.');
  if (engine !== 'tfjs' && backend) usage('--backend chooses the tfjs backend; the torch engine runs on --device.');
  const python: PythonChoice = flags.python !== undefined ? { path: flags.python, source: '--python' } : defaultPython();
  return {
    engine: engine as EngineChoice,
    ...(backend ? { backend } : {}),
    ...(engine !== 'tfjs' ? { torch: { python, device } } : {}),
  };
}

/**
 * Where the torch engine's notes and the Python runner's output (the user's prints, warnings) go on the command
 * line: stderr, dimmed, one line each. The built-in engine says nothing there, so its errors stay one line.
 */
export function engineLogFor(choice: Pick<OpenEngineOptions, 'engine'>): ((line: string) => void) | undefined {
  if ((choice.engine ?? 'tfjs') === 'tfjs') return undefined;
  return (line) => process.stderr.write(`${pc.dim(safeText(line))}\n`);
}
