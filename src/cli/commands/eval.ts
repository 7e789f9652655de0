/**
 * `softmoe eval <checkpoint> --data <path>`: accuracy, per-class accuracy and throughput of a checkpoint on a
 * dataset. The loop is `evaluate` in the core (the worker and the extension call it too); this file parses options,
 * shows a progress bar on stderr and formats.
 */
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import { evaluate, type EvalResult } from '../../core/engine/evaluate';
import type { Preprocessing } from '../../core/analysis/schema';
import { openEngine } from '../../core/engine/openEngine';
import { datasetPreprocessing, openDatasetForModel } from '../../core/engine/openDatasetForModel';
import { toPrettyJson } from '../format/json';
import { preprocessingLine, preprocessingWarnings } from '../format/preprocessingText';
import { safeText } from '../format/safeText';
import { makeTable } from '../format/table';
import { addDataOptions, addEngineOptions, engineLogFor, readDataFlags, readEngineFlags, type DataFlags, type EngineFlags } from '../options';
import { writeAtomic } from '../writeAtomic';
import { intFlag } from '../flags';
import { createPool } from '../../pool/pool';

interface EvalFlags extends DataFlags, EngineFlags {
  json?: string;
  workers?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('evaluate a checkpoint on a dataset: accuracy, per-class accuracy and throughput')
    .argument('<checkpoint>', 'checkpoint file (the paper\'s MNIST model or a Soft MoE ViT; any Soft MoE model with --engine torch)');
  addDataOptions(cmd);
  addEngineOptions(cmd);
  cmd
    .option('--json <file>', 'also write the result as JSON to this file')
    .option('--workers <n>', 'built-in engine: engines evaluating parts at once, each in a thread of its own (default: one per core when the job is big enough, else 1)')
    .action(async (checkpoint: string, flags: EvalFlags) => {
      const data = readDataFlags(flags);
      const choice = readEngineFlags(flags);
      const log = engineLogFor(choice);
      const workers = flags.workers !== undefined ? intFlag(flags.workers, '--workers', 1) : undefined;
      const { engine, checkpoint: source } = await openEngine(checkpoint, { ...choice, ...(log ? { log } : {}) });
      try {
        const dataset = await openDatasetForModel(data.data, engine.info, data);
        try {
          const preprocessing = datasetPreprocessing(engine.info, dataset);
          process.stderr.write(preprocessingWarnings(preprocessing, checkpoint));
          const bar = dataset.numExamples > data.batchSize * 4 && process.stderr.isTTY
            ? new SingleBar({ stream: process.stderr, format: 'eval {bar} {value}/{total} examples | {eta_formatted} left', hideCursor: true, clearOnComplete: true })
            : undefined;
          bar?.start(dataset.numExamples, 0);
          let result: EvalResult;
          try {
            result = await evaluate(engine, dataset, {
              batchSize: data.batchSize,
              onProgress: (done) => bar?.update(done),
              parts: {
                runner: createPool(), checkpoint: source.path, dataset: data.data, split: data.split, limit: data.limit,
                modelBytes: source.fileSize, ...(workers !== undefined ? { workers } : {}), ...(log ? { log } : {}),
              },
            });
          } finally {
            bar?.stop();
          }
          process.stdout.write(formatEval(checkpoint, result, preprocessing));
          if (flags.json) await writeAtomic(flags.json, `${toPrettyJson({ checkpoint, ...result, ...(preprocessing ? { preprocessing } : {}) })}\n`);
        } finally {
          await dataset.close();
        }
      } finally {
        await engine.dispose();
      }
    });
}

export function formatEval(checkpoint: string, r: EvalResult, preprocessing?: Preprocessing): string {
  const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(2)}%`);
  const lines = [
    `${pc.bold('checkpoint')}  ${safeText(checkpoint)}`,
    `${pc.bold('dataset')}     ${safeText(r.dataset)}, ${r.numExamples} examples`,
    ...(preprocessing ? [`${pc.bold('inputs')}      ${preprocessingLine(preprocessing)}`] : []),
    `${pc.bold('accuracy')}    ${pc.green(pct(r.accuracy))} (${r.correct}/${r.numExamples})`,
    `${pc.bold('throughput')}  ${r.examplesPerSecond.toFixed(0)} examples/s (${r.seconds.toFixed(2)} s, batch ${r.batchSize}, ${r.engine})`,
    '',
  ];
  const table = makeTable(['class', 'accuracy', 'correct', 'support'], pc, [1, 2, 3]);
  r.perClass.forEach((k, i) => table.push([`${i} ${safeText(k.name)}`, pct(k.accuracy), String(k.correct), String(k.support)]));
  return `${lines.join('\n')}${table.toString()}\n`;
}
