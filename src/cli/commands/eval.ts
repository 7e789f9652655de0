/**
 * `softmoe eval <checkpoint> --data <path>`: accuracy, per-class accuracy and throughput of a checkpoint on a
 * dataset. The loop is `evaluate` in the core (the worker and the extension call it too); this file parses options,
 * shows a progress bar on stderr and formats.
 */
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import { initBackend } from '../../core/engine/backend';
import { evaluate, type EvalResult } from '../../core/engine/evaluate';
import { loadModel } from '../../core/engine/loadModel';
import { openDatasetForModel } from '../../core/engine/openDatasetForModel';
import { backendFlag, intFlag, splitFlag } from '../flags';
import { toPrettyJson } from '../format/json';
import { safeText } from '../format/safeText';
import { makeTable } from '../format/table';
import { writeAtomic } from '../writeAtomic';

interface EvalFlags {
  data: string;
  split?: string;
  limit?: string;
  batch?: string;
  backend?: string;
  json?: string;
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
      const split = splitFlag(flags.split);
      const backendName = backendFlag(flags.backend);
      const limit = flags.limit === undefined ? undefined : intFlag(flags.limit, '--limit');
      const batchSize = intFlag(flags.batch ?? '256', '--batch');
      const backend = await initBackend(backendName);
      const model = await loadModel(checkpoint);
      try {
        const dataset = await openDatasetForModel(flags.data, model, { split, limit });
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
          if (flags.json) await writeAtomic(flags.json, `${toPrettyJson({ checkpoint, ...result })}\n`);
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
