/**
 * `softmoe eval <checkpoint> --data <path>`: accuracy, per-class accuracy and throughput of a checkpoint on a
 * dataset. The loop is `evaluate` in the core (the worker and the extension call it too); this file parses options,
 * shows a progress bar on stderr and formats.
 */
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { writeFile } from 'node:fs/promises';
import pc from 'picocolors';
import { openDataset } from '../../core/data/openDataset';
import { initBackend, type BackendName } from '../../core/engine/backend';
import { evaluate, type EvalResult } from '../../core/engine/evaluate';
import { loadModel } from '../../core/engine/loadModel';
import { SoftMoeError } from '../../core/errors';
import { toPrettyJson } from '../format/json';
import { safeText } from '../format/safeText';
import { makeTable } from '../format/table';

interface EvalFlags {
  data: string;
  split?: string;
  limit?: string;
  batch?: string;
  backend?: string;
  json?: string;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new SoftMoeError('E_USAGE', `${flag} must be a positive integer, got '${value}'.`);
  return n;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a checkpoint on a dataset: accuracy, per-class accuracy and throughput (TensorFlow.js)')
    .argument('<checkpoint>', 'checkpoint file (the paper\'s MNIST model or a Soft MoE ViT)')
    .requiredOption('--data <path>', 'dataset: IDX folder or files, CIFAR binary, .npy/.npz, or an image folder')
    .option('--split <split>', 'test or train', 'test')
    .option('--limit <n>', 'use only the first N examples')
    .option('--batch <n>', 'batch size', '256')
    .option('--backend <name>', 'node, wasm or cpu (default: the fastest available)')
    .option('--json <file>', 'also write the result as JSON to this file')
    .action(async (checkpoint: string, flags: EvalFlags) => {
      if (flags.split !== 'test' && flags.split !== 'train') throw new SoftMoeError('E_USAGE', `--split must be test or train, got '${flags.split}'.`);
      if (flags.backend !== undefined && !['node', 'wasm', 'cpu'].includes(flags.backend)) {
        throw new SoftMoeError('E_USAGE', `--backend must be node, wasm or cpu, got '${flags.backend}'.`);
      }
      const limit = positiveInt(flags.limit, '--limit');
      const batchSize = positiveInt(flags.batch, '--batch') ?? 256;
      const backend = await initBackend(flags.backend as BackendName | undefined);
      const model = await loadModel(checkpoint);
      try {
        const [h, w, c] = model.info.inputShape;
        const dataset = await openDataset(flags.data, {
          split: flags.split, limit,
          ...(model.info.architecture === 'vit-softmoe' ? { image: { size: [h, w] as [number, number], channels: c } } : {}),
        });
        try {
          const bar = dataset.numExamples > batchSize * 4 && process.stderr.isTTY
            ? new SingleBar({ stream: process.stderr, format: 'eval {bar} {value}/{total} examples | {eta_formatted} left', hideCursor: true, clearOnComplete: true })
            : undefined;
          bar?.start(dataset.numExamples, 0);
          let result: EvalResult;
          try {
            result = await evaluate(model, dataset, { batchSize, onProgress: (done) => bar?.update(done) });
          } finally {
            bar?.stop();
          }
          process.stdout.write(formatEval(checkpoint, result, backend));
          if (flags.json) await writeFile(flags.json, `${toPrettyJson({ checkpoint, ...result })}\n`);
        } finally {
          await dataset.close();
        }
      } finally {
        model.dispose();
      }
    });
}

export function formatEval(checkpoint: string, r: EvalResult, backend: string): string {
  const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(2)}%`);
  const lines = [
    `${pc.bold('checkpoint')}  ${safeText(checkpoint)}`,
    `${pc.bold('dataset')}     ${safeText(r.dataset)}, ${r.numExamples} examples`,
    `${pc.bold('accuracy')}    ${pc.green(pct(r.accuracy))} (${r.correct}/${r.numExamples})`,
    `${pc.bold('throughput')}  ${r.examplesPerSecond.toFixed(0)} examples/s (${r.seconds.toFixed(2)} s, batch ${r.batchSize}, backend ${backend})`,
    '',
  ];
  const table = makeTable(['class', 'accuracy', 'correct', 'support'], pc, [1, 2, 3]);
  r.perClass.forEach((k, i) => table.push([`${i} ${safeText(k.name)}`, pct(k.accuracy), String(k.correct), String(k.support)]));
  return `${lines.join('\n')}${table.toString()}\n`;
}
