/**
 * Merging shards: the partials of `--shard 0/N … N−1/N` combine into exactly the result of one run (counts add,
 * exact sums are order-independent, samples are the same evenly spaced inputs). Only `createdAt` and `timing` differ.
 * Shards belong together when they have the same run identity (runIdentity.ts: the same checkpoint, sidecar and
 * dataset files, options and tool); partials made through the API from in-memory data have none, and are compared
 * by their heads instead.
 */
import { SoftMoeError } from '../errors';
import type { AnalysisResult } from './schema';
import { isAnalysisPartial, type AnalysisPartial, type ResultHead } from './partial';
import { mergeStats } from './stats';
import { finalizeResult } from './finalize';
import { identityDifference } from './runIdentity';

/** What must be equal for two parts to be shards of one run: the run key, or (no identity) the head without shard, time and backend. */
function comparable(h: ResultHead): string {
  if (h.run) return `run ${h.run.key}`;
  const g = h.globalSelection;
  // Every shard calibrates the global selector the same way; only its wall time differs.
  const global = g ? { globalSelection: { ...g, calibration: { ...g.calibration, seconds: 0 } } } : {};
  return JSON.stringify({ ...h, createdAt: '', tool: { ...h.tool, backend: '' }, options: { ...h.options, shard: null }, ...global });
}

function difference(a: ResultHead, b: ResultHead): string {
  if (a.run && b.run) return identityDifference(a.run.identity, b.run.identity) ?? 'their run identities differ';
  if (!!a.run !== !!b.run) return 'only one of them records the files it analysed';
  return 'their checkpoint, dataset or options differ';
}

export function mergePartials(parts: unknown[], names: string[] = parts.map((_, i) => `part ${i + 1}`)): AnalysisResult {
  try {
    return mergeChecked(parts, names);
  } catch (err) {
    if (err instanceof SoftMoeError) throw err;
    throw new SoftMoeError('E_FORMAT', `The analysis parts (${names.join(', ')}) are malformed: ${(err as Error).message}`, { cause: err });
  }
}

function mergeChecked(parts: unknown[], names: string[]): AnalysisResult {
  if (parts.length === 0) throw new SoftMoeError('E_USAGE', 'Nothing to merge: give the partial results of every shard.');
  parts.forEach((p, i) => {
    if (!isAnalysisPartial(p)) throw new SoftMoeError('E_FORMAT', `${names[i]} is not a partial analysis (write one with softmoe analyze --shard i/N --json FILE).`);
  });
  const ps = (parts as AnalysisPartial[]).slice().sort((a, b) => a.range.start - b.range.start);
  const first = ps[0] as AnalysisPartial;
  const count = first.head.options.shard?.count ?? 1;
  const given = (parts as AnalysisPartial[])[0] as AnalysisPartial;
  const key = comparable(given.head);
  const seen = new Set<number>();
  (parts as AnalysisPartial[]).forEach((p, i) => {
    if (comparable(p.head) !== key || p.totalExamples !== given.totalExamples) {
      const why = p.totalExamples !== given.totalExamples ? `${p.totalExamples} examples in all, not ${given.totalExamples}` : difference(given.head, p.head);
      throw new SoftMoeError('E_USAGE', `${names[i]} comes from a different checkpoint, dataset or options than ${names[0]}: ${why}; merge only the shards of one run.`);
    }
    const idx = p.head.options.shard?.index ?? 0;
    if ((p.head.options.shard?.count ?? 1) !== count) throw new SoftMoeError('E_USAGE', `${names[i]} is from a run split into ${p.head.options.shard?.count ?? 1} shards, not ${count}.`);
    if (seen.has(idx)) throw new SoftMoeError('E_USAGE', `Shard ${idx}/${count} is given twice (${names[i]}).`);
    seen.add(idx);
  });
  if (seen.size !== count) {
    const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !seen.has(i));
    throw new SoftMoeError('E_USAGE', `Shards ${missing.map((i) => `${i}/${count}`).join(', ')} are missing; merge needs every shard.`);
  }
  const joined = combineParts(ps, ps.reduce((t, p) => t + p.seconds, 0));
  const backends = [...new Set(ps.map((p) => p.head.tool.backend))].join('+');
  const head: ResultHead = { ...joined.head, tool: { ...first.head.tool, backend: backends }, options: { ...first.head.options, shard: null } };
  if (head.globalSelection) {
    // The calibration ran once per shard: its time is the sum, like the evaluation's.
    const seconds = ps.reduce((s, p) => s + (p.head.globalSelection?.calibration.seconds ?? 0), 0);
    head.globalSelection = { ...head.globalSelection, calibration: { ...head.globalSelection.calibration, seconds } };
  }
  return finalizeResult({ ...joined, head, range: { start: 0, end: first.totalExamples } });
}

/**
 * Adjacent parts of one run (shards, or the parts of a parallel run) as one partial over their union: statistics
 * merged exactly, samples in dataset order, the newest creation time. `seconds` is the time to record (the sum of
 * the shards' times, or the wall time of a parallel run).
 */
export function combineParts(parts: AnalysisPartial[], seconds: number): AnalysisPartial {
  const ps = parts.slice().sort((a, b) => a.range.start - b.range.start);
  const first = ps[0];
  if (!first) throw new SoftMoeError('E_INTERNAL', 'Internal error: no analysis parts to combine.');
  const stats = structuredClone(first.stats);
  for (const p of ps.slice(1)) mergeStats(stats, p.stats);
  const createdAt = ps.map((p) => p.head.createdAt).sort().at(-1) as string;
  return {
    ...first,
    head: { ...first.head, createdAt },
    stats,
    samples: ps.flatMap((p) => p.samples),
    range: { start: first.range.start, end: (ps.at(-1) as AnalysisPartial).range.end },
    seconds,
  };
}
