/**
 * `softmoe prune <checkpoint> --keep K | --fraction F --data <path> --out pruned/model.safetensors`: keep one subset
 * of K experts per Soft MoE layer for every input — the global selector's, chosen on a calibration split — and write
 * the smaller checkpoint in the source's key layout, with its sidecars. Then evaluate the written file beside the
 * global curve's renorm point it must equal. The work is `pruneGlobal` in the core.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import pc from 'picocolors';
import { DEFAULT_CALIBRATION } from '../../core/analysis/analyzeCheckpoint';
import { GLOBAL_RANKINGS } from '../../core/analysis/globalSelection';
import { isSupportedSchema, type AnalysisResult, type GlobalRanking } from '../../core/analysis/schema';
import { SoftMoeError } from '../../core/errors';
import { pruneGlobal, type Measured, type PruneGlobalOutcome } from '../../core/prune/pruneGlobal';
import { intFlag, splitFlag, usage } from '../flags';
import { addEngineOptions, engineLogFor, readEngineFlags, type EngineFlags } from '../options';
import { toPrettyJson } from '../format/json';
import { safeText } from '../format/safeText';
import { writeAtomic } from '../writeAtomic';

interface PruneFlags extends EngineFlags {
  out: string;
  keep?: string;
  fraction?: string;
  data?: string;
  split: string;
  limit?: string;
  calibration?: string;
  calibrationData?: string;
  ranking: string;
  from?: string;
  force?: boolean;
  batch: string;
  json?: string;
}


const MAX_RESULT_BYTES = 256 * 1024 * 1024;

async function readAnalysis(file: string): Promise<AnalysisResult> {
  let text: string;
  try {
    const buf = await readFile(file);
    if (buf.length > MAX_RESULT_BYTES) throw new SoftMoeError('E_FORMAT', `${file} is larger than ${MAX_RESULT_BYTES / 2 ** 20} MiB; it is not an analysis result.`);
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof SoftMoeError) throw err;
    throw new SoftMoeError('E_NOT_FOUND', `Cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new SoftMoeError('E_FORMAT', `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isSupportedSchema(v)) throw new SoftMoeError('E_FORMAT', `${file} is not an analysis result this version reads (softmoe analyze --json).`);
  if (!v.globalSelection?.orders.renorm) {
    throw new SoftMoeError('E_USAGE', `${file} has no global subsets for the renorm drop (what a pruned checkpoint computes): analyse with --selectors global --drop renorm (or both).`);
  }
  return v;
}

export function register(program: Command): void {
  const cmd = program
    .command('prune')
    .description('write a smaller checkpoint with one subset of K experts per layer for every input (the global selector\'s), in the same key layout')
    .argument('<checkpoint>', 'checkpoint to prune (it is only read)')
    .requiredOption('--out <file>', 'the pruned checkpoint (.safetensors), in a folder of its own when the source has args.json/config.json/softmoe.json (updated copies are written beside it)')
    .option('--keep <k>', 'experts to keep per layer')
    .option('--fraction <f>', 'share of the experts to keep per layer, e.g. 0.5')
    .option('--data <path>', 'dataset to calibrate on (its --calibration split) and to evaluate the pruned checkpoint on (its --split)')
    .option('--split <split>', 'split the pruned checkpoint is evaluated on: test or train', 'test')
    .option('--limit <n>', 'evaluate on the first N examples only')
    .option('--calibration <split>', `calibration examples: train[:N], train[A:B] or a split, never the evaluation ones (default ${DEFAULT_CALIBRATION})`)
    .option('--calibration-data <path>', 'calibrate on this dataset instead (its --calibration split)')
    .option('--ranking <how>', `how the subset is chosen: ${GLOBAL_RANKINGS.join(', ')}`, 'eliminate')
    .option('--from <analysis.json>', 'take the subsets of a saved analysis (softmoe analyze --selectors global) instead of calibrating')
    .option('--force', 'replace existing output files')
    .option('--batch <n>', 'batch size', '256')
    .option('--json <file>', 'also write what was done as JSON');
  addEngineOptions(cmd)
    .action(async (checkpoint: string, flags: PruneFlags) => {
      if ((flags.keep === undefined) === (flags.fraction === undefined)) usage('Give either --keep K or --fraction F.');
      if (!GLOBAL_RANKINGS.includes(flags.ranking as GlobalRanking)) usage(`--ranking must be one of ${GLOBAL_RANKINGS.join(', ')}, got '${flags.ranking}'.`);
      if (flags.from && (flags.calibration !== undefined || flags.calibrationData !== undefined)) usage('--from takes the subsets of a saved analysis; --calibration and --calibration-data choose new ones. Give one or the other.');
      const fraction = flags.fraction === undefined ? undefined : Number(flags.fraction);
      if (fraction !== undefined && !(fraction > 0 && fraction <= 1)) usage(`--fraction must be in (0, 1], got '${flags.fraction}'.`);
      const saved = flags.from ? await readAnalysis(flags.from) : undefined;
      const engine = readEngineFlags(flags);
      const log = engineLogFor(engine);
      const outcome = await pruneGlobal({
        checkpoint, output: flags.out, overwrite: flags.force === true,
        ...(flags.keep !== undefined ? { keep: intFlag(flags.keep, '--keep') } : {}),
        ...(fraction !== undefined ? { fraction } : {}),
        ...(saved ? { orders: saved.globalSelection?.orders.renorm as number[][] } : {}),
        ...(flags.data !== undefined ? { data: flags.data } : {}),
        split: splitFlag(flags.split),
        limit: flags.limit !== undefined ? intFlag(flags.limit, '--limit') : null,
        ...(flags.calibration !== undefined ? { calibration: flags.calibration } : {}),
        ...(flags.calibrationData !== undefined ? { calibrationData: flags.calibrationData } : {}),
        ranking: flags.ranking as GlobalRanking,
        batchSize: intFlag(flags.batch, '--batch'),
        ...engine, ...(log ? { log } : {}),
        onPhase: (phase) => process.stderr.isTTY && process.stderr.write(`${phase}…\n`),
      });
      // With a saved analysis of the same examples, its global renorm point is what the written file must score.
      if (saved && outcome.pruned && !outcome.expected && flags.data !== undefined && resolve(flags.data) === resolve(saved.dataset.path)
        && saved.dataset.split === splitFlag(flags.split) && saved.numExamples === outcome.pruned.examples) {
        const pt = saved.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')?.points.find((p) => p.k === outcome.k);
        outcome.full = { correct: saved.fullCorrect, examples: saved.numExamples, accuracy: saved.fullAccuracy };
        if (pt) outcome.expected = { correct: pt.correct, examples: saved.numExamples, accuracy: pt.accuracy };
      }
      process.stdout.write(formatPrune(outcome, saved));
      if (flags.json) await writeAtomic(flags.json, `${toPrettyJson(outcome)}\n`);
    });
}

export function formatPrune(o: PruneGlobalOutcome, saved?: AnalysisResult): string {
  const pct = (m: Measured | undefined) => (m ? `${(100 * m.accuracy).toFixed(2)}% (${m.correct}/${m.examples})` : '—');
  const r = o.report;
  const lines = [
    `${pc.bold('source')}       ${safeText(r.source)} (unchanged)`,
    `${pc.bold('pruned')}       ${pc.green(safeText(r.output))}${r.sidecars.length ? ` + ${r.sidecars.map((f) => safeText(f.split(/[\\/]/).pop() ?? f)).join(', ')}` : ''}`,
    `${pc.bold('experts')}      ${o.k} of ${o.numExperts} per layer: ${r.layers.map((l) => `${l.name === '' ? 'layer' : safeText(l.name)} [${l.kept.join(',')}]`).join('; ')}`,
    `${pc.bold('parameters')}   ${r.parametersBefore.toLocaleString('en')} → ${r.parametersAfter.toLocaleString('en')} (${(r.parametersBefore - r.parametersAfter).toLocaleString('en')} fewer); expert FLOPs −${(100 * (1 - o.k / o.numExperts)).toFixed(1)}%`,
  ];
  if (o.selection) {
    const c = o.selection.calibration;
    lines.push(`${pc.bold('chosen by')}    ${o.selection.ranking} on ${safeText(c.name)}${c.name.includes(c.split) ? '' : ` ${c.split}`} [${c.start}:${c.end}] (${c.examples} examples, not the evaluation ones)`);
  } else if (saved) {
    const pt = saved.curves.find((c) => c.selector === 'global' && c.drop === 'renorm')?.points.find((p) => p.k === o.k);
    lines.push(`${pc.bold('chosen by')}    the saved analysis of ${safeText(saved.checkpoint.name)} (${saved.globalSelection?.ranking}; its global renorm point at k = ${o.k}: ${pt ? `${(100 * pt.accuracy).toFixed(2)}% on ${safeText(saved.dataset.name)}, ${saved.numExamples} examples` : 'not analysed'})`);
  }
  if (o.pruned) {
    lines.push(`${pc.bold('full model')}   ${pct(o.full)}`);
    lines.push(`${pc.bold('global curve')} ${pct(o.expected)} (renorm drop of the full model, k = ${o.k})`);
    const same = o.expected && o.expected.correct === o.pruned.correct;
    lines.push(`${pc.bold('pruned file')}  ${pct(o.pruned)}${o.expected ? (same ? ' — equal, as it must be' : pc.yellow(` — differs from the curve by ${o.pruned.correct - o.expected.correct} examples (float rounding at near-ties)`)) : ''}${o.engine ? ` (${o.engine})` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
