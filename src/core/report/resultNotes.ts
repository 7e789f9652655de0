/**
 * What a result's numbers rest on that a reader cannot see in them: how many of the dataset's examples were used,
 * selectors left out, a dataset too small to trust, a model no better than chance on it. The panel writes these
 * beside the figures they affect; the report and the CLI can say the same. Pure; the webview imports it.
 */
import * as l10n from '@vscode/l10n';
import type { AnalysisResult } from '../analysis/schema';
import { selectorLabel } from '../analysis/selectorRegistry';
import { plural } from './units';

export type NoteId = 'limit' | 'shard' | 'skipped' | 'tiny' | 'chance';

export interface ResultNote {
  id: NoteId;
  /** 'warn': the figures may mislead; 'info': a limit worth knowing. */
  severity: 'info' | 'warn';
  text: string;
}

/** Fewer examples than this and accuracies move in steps too coarse to rank subsets by. */
export const FEW_EXAMPLES = 100;

const examples = (n: number): string => plural(n, l10n.t('{0} example'), l10n.t('{0} examples'));

const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;

/** "2,000 of 10,000 examples" when a limit cut the split, else "10,000 examples". */
export function examplesText(r: AnalysisResult): string {
  const total = r.dataset.totalExamples;
  return total !== undefined && total > r.numExamples
    ? l10n.t('{0} of {1}', r.numExamples.toLocaleString('en-US'), examples(total))
    : examples(r.numExamples);
}

/** Chance accuracy: one over the number of classes. */
export function chanceAccuracy(r: AnalysisResult): number {
  return r.dataset.numClasses > 0 ? 1 / r.dataset.numClasses : 0;
}

export function resultNotes(r: AnalysisResult): ResultNote[] {
  const notes: ResultNote[] = [];
  const N = r.numExamples;
  const total = r.dataset.totalExamples;
  const split = r.dataset.split ?? '';
  if (total !== undefined && total > N) {
    notes.push({
      id: 'limit', severity: 'info',
      text: split
        ? l10n.t`Analysed the first ${N.toLocaleString('en-US')} of the ${total.toLocaleString('en-US')} ${split} examples (example limit ${(r.options.limit ?? N).toLocaleString('en-US')}: softmoeInspector.exampleLimit or --limit; 0 analyses all).`
        : l10n.t`Analysed the first ${N.toLocaleString('en-US')} of the ${total.toLocaleString('en-US')} examples (example limit ${(r.options.limit ?? N).toLocaleString('en-US')}: softmoeInspector.exampleLimit or --limit; 0 analyses all).`,
    });
  } else if (total === undefined && r.options.limit !== null && N === r.options.limit) {
    notes.push({ id: 'limit', severity: 'info', text: l10n.t`Analysed the first ${examples(N)} (example limit); the dataset may hold more.` });
  }
  if (r.options.shard) {
    notes.push({ id: 'shard', severity: 'info', text: l10n.t`Shard ${r.options.shard.index + 1} of ${r.options.shard.count} only: merge the shards for the whole dataset.` });
  }
  for (const s of r.options.skippedSelectors ?? []) {
    notes.push({ id: 'skipped', severity: 'info', text: l10n.t`${selectorLabel(s.selector)} left out: it ${s.reason}.` });
  }
  if (N > 0 && N < FEW_EXAMPLES) {
    notes.push({
      id: 'tiny', severity: 'warn',
      text: l10n.t`Only ${examples(N)}: one example moves accuracy by ${pct(1 / N)}, so the curves, the recommended k and the FLOPs saved are not reliable; analyse more examples.`,
    });
  }
  const chance = chanceAccuracy(r);
  if (N > 0 && r.dataset.numClasses > 1 && r.fullAccuracy <= chance + 1e-12) {
    notes.push({
      id: 'chance', severity: 'warn',
      text: l10n.t`Full accuracy ${pct(r.fullAccuracy)} is no better than chance (${pct(chance)} for ${plural(r.dataset.numClasses, l10n.t('{0} class'), l10n.t('{0} classes'))}): the dataset may not match the model (classes, preprocessing), so the subset accuracies say little.`,
    });
  }
  return notes;
}
