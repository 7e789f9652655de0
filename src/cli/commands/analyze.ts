/**
 * `softmoe analyze <checkpoint> --data <path>`: which experts matter for which input, and how many can be dropped.
 * The work is `analyzePart`/`analyze` in the core (the worker calls it too); this file parses flags, shows a progress
 * bar on stderr, prints a summary on stdout and writes --json / --csv atomically (temp file, then rename).
 * With --shard i/N it writes the shard's sufficient statistics for `softmoe merge`.
 */
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import { DEFAULT_CALIBRATION, analyzeCheckpoint } from '../../core/analysis/analyzeCheckpoint';
import { GLOBAL_RANKINGS } from '../../core/analysis/globalSelection';
import { finalizeResult } from '../../core/analysis/finalize';
import { SELECTOR_NAMES } from '../../core/analysis/selectorRegistry';
import { curvesToCsv } from '../../core/analysis/resultCsv';
import { curvePoint, type AnalysisResult, type DropMode, type GlobalRanking, type SelectorName } from '../../core/analysis/schema';
import { intFlag, intListFlag, usage } from '../flags';
import { addDataOptions, addEngineOptions, engineLogFor, readDataFlags, readEngineFlags, type DataFlags, type EngineFlags } from '../options';
import { safeText } from '../format/safeText';
import { writeAtomic } from '../writeAtomic';
import { createPool } from '../../pool/pool';
import { makeTable } from '../format/table';
import { preprocessingLine, preprocessingWarnings } from '../format/preprocessingText';
import { TOOL_VERSION } from '../../core/version';

interface AnalyzeFlags extends DataFlags, EngineFlags {
  drop: string;
  trials: string;
  seed: string;
  selectors: string;
  k?: string;
  target: string;
  samples: string;
  json?: string;
  csv?: string;
  shard?: string;
  oracleBudget?: string;
  calibration?: string;
  calibrationData?: string;
  globalRanking: string;
  workers?: string;
}

export function parseShard(v: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(v);
  if (!m) usage(`--shard must look like i/N (0 ≤ i < N), got '${v}'.`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) usage(`--shard ${v}: the index must be from 0 to ${count - 1} (0-based, like SLURM_ARRAY_TASK_ID).`);
  return { index, count };
}

export function register(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('expert specialisation: accuracy per number of kept experts (heuristic, random, oracle…), per class, routing health')
    .argument('<checkpoint>', 'checkpoint file (the paper\'s MNIST model or a Soft MoE ViT; any Soft MoE model with --engine torch)');
  addDataOptions(cmd, 'batch size (Algorithm 2 shares one subset per batch)');
  addEngineOptions(cmd);
  cmd
    .option('--drop <mode>', 'zero, renorm or both', 'zero')
    .option('--trials <n>', 'random trials', '10')
    .option('--seed <n>', 'seed of the random subsets', '0')
    .option('--selectors <list>', `comma-separated: ${SELECTOR_NAMES.join(', ')} (each defined in the README, "What analyze measures")`, 'heuristic,random')
    .option('--k <list>', 'numbers of kept experts, e.g. 1,2,4 (default: every k from 1 to n)')
    .option('--target <share>', 'share of full accuracy the recommended k keeps', '0.99')
    .option('--samples <n>', 'inputs recorded for drawing', '64')
    .option('--oracle-budget <n>', 'exhaustive oracle search while C(n,k) is at most this, else greedy', '65536')
    .option('--calibration <split>', `global selector: the examples its subsets are chosen on, never the evaluation ones — train[:N], train[A:B] or a split (default ${DEFAULT_CALIBRATION})`)
    .option('--calibration-data <path>', 'global selector: calibrate on this dataset instead (its --calibration split)')
    .option('--global-ranking <how>', `global selector: ${GLOBAL_RANKINGS.join(', ')} (greedy backward elimination on calibration accuracy, dataset-mean combine mass, dataset-mean output norm)`, 'eliminate')
    .option('--json <file>', 'write the result (or, with --shard, the shard\'s statistics) as JSON')
    .option('--csv <file>', 'write the curves as CSV')
    .option('--shard <i/N>', 'analyse slice i of N (0-based) and write its statistics for softmoe merge')
    .option('--workers <n>', 'built-in engine: engines computing parts at once, each in a thread of its own (default: one per core when the job is big enough, else 1)')
    .action(async (checkpoint: string, flags: AnalyzeFlags) => {
      const data = readDataFlags(flags);
      if (!['zero', 'renorm', 'both'].includes(flags.drop)) usage(`--drop must be zero, renorm or both, got '${flags.drop}'.`);
      const engineChoice = readEngineFlags(flags);
      const shard = flags.shard !== undefined ? parseShard(flags.shard) : null;
      if (shard && !flags.json) usage('--shard needs --json FILE to write the shard\'s statistics to (then softmoe merge).');
      if (shard && flags.csv) usage('--csv is written by softmoe merge when analysing in shards.');
      const selectors = flags.selectors.split(',').map((s) => s.trim()).filter(Boolean) as SelectorName[];
      for (const s of selectors) if (!SELECTOR_NAMES.includes(s)) usage(`Unknown selector '${s}': use ${SELECTOR_NAMES.join(', ')}.`);
      const drops: DropMode[] = flags.drop === 'both' ? ['zero', 'renorm'] : [flags.drop as DropMode];
      const ks = flags.k === undefined ? undefined : intListFlag(flags.k, '--k');
      const target = Number(flags.target);
      if (!(target > 0 && target <= 1)) usage(`--target must be in (0, 1], got '${flags.target}'.`);
      if (!GLOBAL_RANKINGS.includes(flags.globalRanking as GlobalRanking)) usage(`--global-ranking must be one of ${GLOBAL_RANKINGS.join(', ')}, got '${flags.globalRanking}'.`);
      if ((flags.calibration !== undefined || flags.calibrationData !== undefined) && !selectors.includes('global')) usage('--calibration and --calibration-data choose the global selector\'s subsets: add global to --selectors.');
      const bar = process.stderr.isTTY
        ? new SingleBar({ stream: process.stderr, format: 'analyze {bar} {value}/{total} examples | {speed} ex/s | {eta_formatted} left', hideCursor: true, clearOnComplete: true })
        : undefined;
      let started = false;
      const ac = new AbortController();
      const onSigint = () => ac.abort();
      process.once('SIGINT', onSigint);
      let part;
      try {
        const { data: dataPath, ...dataOptions } = data; // split, limit, batch size: as eval hands them on
        part = await analyzeCheckpoint(checkpoint, dataPath, {
          ...engineChoice, ...dataOptions, selectors, drops, ks, target, shard,
          trials: intFlag(flags.trials, '--trials', 1),
          seed: intFlag(flags.seed, '--seed', 0),
          samples: intFlag(flags.samples, '--samples', 0),
          oracleBudget: intFlag(flags.oracleBudget ?? '65536', '--oracle-budget', 1),
          ...(flags.calibration !== undefined ? { calibration: flags.calibration } : {}),
          ...(flags.calibrationData !== undefined ? { calibrationData: flags.calibrationData } : {}),
          globalRanking: flags.globalRanking as GlobalRanking,
          ...(flags.workers !== undefined ? { workers: intFlag(flags.workers, '--workers', 1) } : {}),
          toolVersion: process.env.SOFTMOE_VERSION ?? TOOL_VERSION,
        }, {
          signal: ac.signal,
          parts: createPool(),
          onPreprocessing: (p) => process.stderr.write(preprocessingWarnings(p, checkpoint)),
          ...(engineLogFor(engineChoice) ? { log: engineLogFor(engineChoice) } : {}),
          onProgress: (p) => {
            if (!bar) return;
            if (!started) bar.start(p.total, 0, { speed: '0' });
            started = true;
            bar.update(p.done, { speed: p.examplesPerSecond.toFixed(0) });
          },
        });
      } finally {
        bar?.stop();
        process.removeListener('SIGINT', onSigint);
      }
      if (shard) {
        await writeAtomic(flags.json as string, `${JSON.stringify(part)}\n`);
        process.stdout.write(`shard ${shard.index}/${shard.count}: examples ${part.range.start}–${part.range.end} of ${part.totalExamples} analysed in ${part.seconds.toFixed(1)} s (${part.head.tool.engine?.label ?? part.head.tool.backend}); statistics written to ${safeText(flags.json as string)}\nmerge every shard with: softmoe merge <parts…> --json result.json\n`);
        return;
      }
      const result = finalizeResult(part);
      await writeOutputs(result, flags.json, flags.csv);
      process.stdout.write(formatSummary(result));
    });
}

export async function writeOutputs(result: AnalysisResult, json?: string, csv?: string): Promise<void> {
  if (json) await writeAtomic(json, `${JSON.stringify(result)}\n`);
  if (csv) await writeAtomic(csv, curvesToCsv(result));
}

/** The global selector: where it was calibrated and what pruning to its recommended k keeps and saves. */
function globalLines(r: AnalysisResult, pct: (v: number | null | undefined) => string): string[] {
  const g = r.globalSelection;
  if (!g) return [];
  const c = g.calibration;
  const rec = g.recommended;
  const n = r.layers[0]?.numExperts ?? 0;
  const cal = `${pc.bold('global subset')}  calibrated on ${safeText(c.name)}${c.name.includes(c.split) ? '' : ` ${c.split}`} [${c.start}:${c.end}] (${c.examples} examples, ${g.ranking}; full accuracy there ${pct(c.fullAccuracy)}${c.seconds !== undefined ? `; ${c.seconds.toFixed(1)} s` : ''})`;
  if (rec.k === null) return [cal, `               no k below ${n} keeps ${pct(rec.target)} of full accuracy with one subset for every input (${rec.drop} drop)`];
  const experts = (rec.experts ?? []).map((e) => `[${e.join(',')}]`).join(' ');
  return [
    cal,
    `               k = ${rec.k} of ${n} keeps ${pct(rec.accuracy)} (${rec.drop} drop) for every input: experts ${experts}`,
    `               pruned: saves ${pct(rec.expertFlopsSaved)} of expert FLOPs${rec.macsSavedPerInput !== null ? ` (${rec.macsSavedPerInput.toLocaleString('en')} multiply-adds per input)` : ''}${rec.parametersSaved !== null ? `, ${rec.parametersSaved.toLocaleString('en')} parameters (${rec.parameterCount?.toLocaleString('en')} left)` : ''} — softmoe prune --keep ${rec.k}`,
  ];
}

/** Full accuracy, the recommended k, and heuristic vs random at n/2, n/4, n/8 kept experts. */
export function formatSummary(r: AnalysisResult): string {
  const pct = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${(100 * v).toFixed(2)}%`);
  const n = r.layers[0]?.numExperts ?? 0;
  const rec = r.recommended;
  const lines = [
    `${pc.bold('checkpoint')}     ${safeText(r.checkpoint.name || r.checkpoint.path)} (${r.layers.length} Soft MoE layer${r.layers.length === 1 ? '' : 's'}, ${n} experts)`,
    `${pc.bold('dataset')}        ${safeText(r.dataset.name)}, ${r.numExamples} examples`,
    ...(r.preprocessing ? [`${pc.bold('inputs')}         ${preprocessingLine(r.preprocessing)}`] : []),
    `${pc.bold('full accuracy')}  ${pc.green(pct(r.fullAccuracy))} (${r.fullCorrect}/${r.numExamples})`,
    `${pc.bold('recommended k')}  ${rec.k === null
      ? `none below ${n} keeps ${pct(rec.target)} of full accuracy (${rec.selector}, ${rec.drop} drop)`
      : `${rec.k} of ${n} experts keeps ${pct(rec.accuracy)} (≥ ${pct(rec.target)} of full, ${rec.selector}, ${rec.drop} drop); saves ${pct(rec.expertFlopsSaved)} of expert FLOPs`}`,
    ...globalLines(r, pct),
    `${pc.bold('time')}           ${r.timing.seconds.toFixed(2)} s (${r.timing.examplesPerSecond.toFixed(0)} examples/s, ${r.tool.engine?.label ?? `backend ${r.tool.backend}`})`,
    '',
  ];
  const kept = [...new Set([n / 2, n / 4, n / 8].filter((k) => Number.isInteger(k) && k >= 1 && r.options.ks.includes(k)))];
  const table = makeTable(['drop', 'kept', 'heuristic', 'random (mean ± std)', 'other'], pc, [1, 2, 3]);
  for (const drop of r.options.drops) {
    for (const k of kept) {
      const at = (sel: SelectorName) => curvePoint(r, sel, drop, k);
      const rnd = at('random');
      const others = r.options.selectors.filter((s) => s !== 'heuristic' && s !== 'random').map((s) => {
        const p = at(s);
        const chance = p?.chance !== undefined ? ` (chance ${pct(p.chance)}, excess ${(100 * (p.excess ?? 0)).toFixed(2)} pp)` : '';
        return `${s} ${pct(p?.accuracy)}${p?.greedy ? ' greedy' : ''}${chance}`;
      }).join(', ');
      table.push([drop, `${k}/${n}`, pct(at('heuristic')?.accuracy), rnd ? `${pct(rnd.accuracy)} ± ${(100 * (rnd.std ?? 0)).toFixed(2)}` : '—', others]);
    }
  }
  return `${lines.join('\n')}${kept.length > 0 ? `${table.toString()}\n` : ''}`;
}
