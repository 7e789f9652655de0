/**
 * `softmoe train`: train the paper's fixed-parameter MNIST Soft MoE suite on an IDX dataset (Fashion-MNIST by
 * default), or run the Theorem 1 experiment (`--task l2norm`). The work is in src/core/train; this file parses
 * options, opens datasets, draws the progress bar and prints the summary.
 */
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { join } from 'node:path';
import { openDataset } from '../../core/data/openDataset';
import { TRAINING_ORDER, initBackend } from '../../core/engine/backend';
import { backendFlag, intFlag, intListFlag, positiveNumberFlag } from '../flags';
import { addBackendOption } from '../options';
import { SoftMoeError } from '../../core/errors';
import { runL2Norm } from '../../core/train/l2normTask';
import type { MatrixNorm } from '../../core/train/matrixNorm';
import { ensureDir, writeJson } from '../../core/train/runFolder';
import { trainSuite } from '../../core/train/trainSuite';

export const DEFAULT_TRAIN_DATA = '/usr/share/datasets/fashion-mnist';

interface TrainFlags {
  task: string;
  experts?: string;
  epochs?: string;
  seed: string;
  data: string;
  out: string;
  saveEpochs?: string;
  batch: string;
  lr: string;
  backend?: string;
  resume?: boolean;
  limit?: string;
  testLimit?: string;
  half?: boolean;
  norm: string;
  progress: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description("train the paper's MNIST Soft MoE suite at a fixed total parameter count (one folder n<N>/ per number of experts: ep{E}_moe.safetensors, args.json, train_log.json), or run the Theorem 1 experiment with --task l2norm")
    .option('--task <task>', 'mnist (the paper\'s suite) or l2norm (Theorem 1: fit ‖X‖₂ with 1 vs many experts)', 'mnist')
    .option('--experts <list>', 'numbers of experts (default 1,2,4,8,16,32,64; l2norm: 1,16)')
    .option('--epochs <E>', 'epochs per model (default 15; l2norm: 100)')
    .option('--seed <S>', 'seed for initial weights, shuffles and synthetic data', '0')
    .option('--data <path>', 'IDX dataset folder or file (train split for training, test split for accuracy)', DEFAULT_TRAIN_DATA)
    .option('--out <folder>', 'output folder', 'runs/train')
    .option('--save-epochs <list>', 'epochs (1-based) whose weights to save, e.g. 1,5,15 (the last epoch is always saved)')
    .option('--batch <B>', 'mini-batch size', '256')
    .option('--lr <lr>', 'Adam learning rate', '1e-3')
    .option('--resume', 'continue runs in --out from their last finished epoch (weights and Adam state)')
    .option('--limit <N>', 'train on the first N training examples only')
    .option('--test-limit <N>', 'measure test accuracy on the first N test examples only')
    .option('--half', 'save checkpoints as F16 (half the size; resume state stays F32)')
    .option('--norm <kind>', 'l2norm task target: spectral (largest singular value, default) or frobenius', 'spectral')
    .option('--no-progress', 'no progress bar (one line per epoch)');
  addBackendOption(cmd, TRAINING_ORDER)
    .action(async (flags: TrainFlags) => {
      if (flags.task !== 'mnist' && flags.task !== 'l2norm') throw new SoftMoeError('E_USAGE', `--task must be mnist or l2norm (got '${flags.task}').`);
      const backend = await initBackend(backendFlag(flags.backend), TRAINING_ORDER);
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        if (flags.task === 'l2norm') await runL2NormCommand(flags, backend, controller.signal);
        else await runSuiteCommand(flags, backend, controller.signal);
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });
}

function makeBar(enabled: boolean): SingleBar | undefined {
  if (!enabled || !process.stderr.isTTY) return undefined;
  return new SingleBar({
    stream: process.stderr,
    format: '{label} [{bar}] {percentage}% {value}/{total} | {speed} ex/s | loss {loss}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
  });
}

async function runSuiteCommand(flags: TrainFlags, backend: string, signal: AbortSignal): Promise<void> {
  const experts = intListFlag(flags.experts ?? '1,2,4,8,16,32,64', '--experts');
  const epochs = intFlag(flags.epochs ?? '15', '--epochs');
  const limit = flags.limit === undefined ? undefined : intFlag(flags.limit, '--limit');
  const testLimit = flags.testLimit === undefined ? undefined : intFlag(flags.testLimit, '--test-limit');
  const train = await openDataset(flags.data, { split: 'train', limit });
  const test = await openDataset(flags.data, { split: 'test', limit: testLimit }).catch((err: unknown) => {
    process.stderr.write(`softmoe: no test split (${err instanceof SoftMoeError ? err.userMessage : String(err)}); test accuracy is not measured\n`);
    return undefined;
  });
  const bar = makeBar(flags.progress);
  let barKey = '';
  process.stderr.write(`training ${experts.map((n) => `n=${n}`).join(', ')} for ${epochs} epochs on ${train.name} (${train.numExamples} examples), backend ${backend}\n`);
  try {
    const runs = await trainSuite({
      experts, epochs, seed: intFlag(flags.seed, '--seed', 0), batchSize: intFlag(flags.batch, '--batch'), lr: positiveNumberFlag(flags.lr, '--lr'),
      train, test, outDir: flags.out, saveEpochs: flags.saveEpochs ? intListFlag(flags.saveEpochs, '--save-epochs') : [],
      half: Boolean(flags.half), resume: Boolean(flags.resume), backend, signal,
      onProgress: (p) => {
        if (!bar) return;
        const key = `${p.numExperts}/${p.phase}/${p.epoch}`;
        const label = p.phase === 'load' ? 'tokenising' : `n=${p.numExperts} ep ${p.epoch}/${p.epochs} ${p.phase}`;
        const payload = { label, speed: p.examplesPerSecond ? p.examplesPerSecond.toFixed(0) : '-', loss: p.loss !== undefined ? p.loss.toFixed(4) : '-' };
        if (key !== barKey) {
          bar.stop();
          bar.start(p.total, p.done, payload);
          barKey = key;
        } else bar.update(p.done, payload);
      },
      onEpoch: (n, e) => {
        bar?.stop();
        barKey = '';
        const acc = e.testAccuracy === null ? 'n/a' : `${(e.testAccuracy * 100).toFixed(2)}%`;
        process.stderr.write(`n=${n} epoch ${e.epoch}: loss ${e.loss.toFixed(4)}, train ${(e.trainAccuracy * 100).toFixed(2)}%, test ${acc}, ${e.seconds.toFixed(1)} s (${e.examplesPerSecond.toFixed(0)} ex/s)${e.checkpoint ? `, saved ${e.checkpoint}` : ''}\n`);
      },
    });
    for (const r of runs) {
      const last = r.log.epochs[r.log.epochs.length - 1];
      const acc = last?.testAccuracy == null ? 'n/a' : `${(last.testAccuracy * 100).toFixed(2)}%`;
      process.stdout.write(`n=${r.numExperts}\t${r.dir}\tepochs ${last?.epoch ?? 0}\ttest accuracy ${acc}\n`);
    }
  } finally {
    bar?.stop();
    await train.close();
    await test?.close();
  }
}

async function runL2NormCommand(flags: TrainFlags, backend: string, signal: AbortSignal): Promise<void> {
  if (flags.norm !== 'spectral' && flags.norm !== 'frobenius') throw new SoftMoeError('E_USAGE', `--norm must be spectral or frobenius (got '${flags.norm}').`);
  const experts = intListFlag(flags.experts ?? '1,16', '--experts');
  const epochs = intFlag(flags.epochs ?? '100', '--epochs');
  const result = await runL2Norm({
    experts, epochs, batchSize: intFlag(flags.batch, '--batch'), lr: positiveNumberFlag(flags.lr, '--lr'), seed: intFlag(flags.seed, '--seed', 0),
    norm: flags.norm as MatrixNorm, trainExamples: flags.limit === undefined ? undefined : intFlag(flags.limit, '--limit'), signal,
    onProgress: (p) => {
      if (p.epoch % 10 === 0 || p.epoch === p.epochs) process.stderr.write(`l2norm n=${p.numExperts} epoch ${p.epoch}/${p.epochs}: train MSE ${p.loss.toExponential(3)}\n`);
    },
  });
  await ensureDir(flags.out);
  const path = join(flags.out, 'l2norm.json');
  await writeJson(path, { ...result, backend });
  process.stdout.write(`Theorem 1 (f(X) = ‖X‖₂, ${result.norm} norm, X ${result.tokens}×${result.dim}, n·h = ${result.totalHidden}); predicting the mean: MSE ${result.baselineMse.toExponential(3)}\n`);
  for (const r of result.runs) {
    process.stdout.write(`n=${r.numExperts}\th=${r.expertHidden}\tparams ${r.parameters}\ttrain MSE ${r.trainMse.toExponential(3)}\ttest MSE ${r.testMse.toExponential(3)}\n`);
  }
  process.stdout.write(`wrote ${path}\n`);
}
