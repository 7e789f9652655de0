/**
 * The comparison panel: several analyses side by side (Compare Runs) or the epochs of one training run (Analyze
 * Training Run). One scrolling page of sections sharing a drop mode; used by the VS Code panel and the standalone
 * report alike.
 */
import * as l10n from '@vscode/l10n';
import type { AnalysisResult, DropMode } from '../src/core/analysis/schema';
import type { ComparisonMode, PanelState } from '../src/core/protocol/webviewProtocol';
import { sharedDrops, sharedFractions } from '../src/core/report/comparison';
import type { RunInput } from '../src/core/report/comparison';
import { redrawAll, resizeAll } from './charts';
import { clear, h, plural } from './dom';
import { exportBar } from './export/exportBar';
import { setExportContext } from './export/exportContext';
import { fileStem } from './export/exportSink';
import { radioGroup, setRadioValue } from './radioGroup';
import { deltasSection } from './comparison/deltasSection';
import { heatmapsSection } from './comparison/heatmapsSection';
import { overlaySection } from './comparison/overlaySection';
import { summarySection } from './comparison/summarySection';
import { trainingSection } from './comparison/trainingSection';
import type { ComparisonContext, ComparisonState, Section } from './comparison/types';
import { watchTheme } from './theme';

export interface ComparisonPayload {
  mode: ComparisonMode;
  title: string;
  runs: Array<{ label: string; result: AnalysisResult; epoch?: number }>;
  /** Runs that were asked for but could not be read or analysed, with the reason (shown above the comparison). */
  skipped?: Array<{ label: string; reason: string }>;
}

export interface ComparisonAppOptions {
  state?: Partial<ComparisonState>;
  onState?: (s: ComparisonState) => void;
  actions?: Array<{ label: string; run: () => void }>;
}

/** The comparison's part of a saved panel state. */
export function comparisonStateOf(s: Pick<PanelState, 'drop' | 'fraction' | 'diffOnly'>): Partial<ComparisonState> {
  return { ...(s.drop ? { drop: s.drop } : {}), ...(s.fraction !== null ? { fraction: s.fraction } : {}), diffOnly: s.diffOnly };
}

/** The state made valid for these runs (saved state may come from another comparison). */
export function resolveComparisonState(runs: RunInput[], s: Partial<ComparisonState>): ComparisonState {
  const drops = sharedDrops(runs);
  const drop: DropMode = s.drop && drops.includes(s.drop) ? s.drop : (drops[0] ?? 'zero');
  const fractions = sharedFractions(runs, drop).map((f) => f.value).filter((v) => v < 1);
  const quarter = fractions.find((v) => Math.abs(v - 0.25) < 1e-12);
  const fraction = s.fraction !== undefined && fractions.some((v) => Math.abs(v - (s.fraction as number)) < 1e-12)
    ? s.fraction : (quarter ?? fractions[fractions.length - 1] ?? 1);
  return { drop, fraction, diffOnly: s.diffOnly ?? false };
}

export function renderComparison(root: HTMLElement, payload: ComparisonPayload, opts: ComparisonAppOptions = {}): { dispose(): void; getState(): ComparisonState } {
  clear(root);
  const runs: RunInput[] = payload.runs;
  let state = resolveComparisonState(runs, opts.state ?? {});
  const sections: Section[] = [];
  const ctx = (): ComparisonContext => ({ mode: payload.mode, title: payload.title, runs, state, set });
  function set(patch: Partial<ComparisonState>): void {
    state = resolveComparisonState(runs, { ...state, ...patch });
    root.dataset.drop = state.drop;
    root.dataset.fraction = String(state.fraction);
    root.dataset.diffOnly = String(state.diffOnly);
    setRadioValue(dropGroup, state.drop);
    for (const s of sections) s.update(ctx());
    requestAnimationFrame(() => resizeAll());
    opts.onState?.(state);
  }

  const actions = (opts.actions ?? []).map((a) => {
    const b = h('vscode-button', { secondary: true }, a.label);
    b.addEventListener('click', a.run);
    return b;
  });
  const drops = sharedDrops(runs);
  const dropGroup = radioGroup({
    label: l10n.t('How dropped experts are removed'), name: 'drop', className: 'drop-toggle', value: state.drop,
    choices: drops.map((d) => ({ value: d, text: d === 'zero' ? l10n.t('zero (no renormalisation)') : l10n.t('renormalise') })),
    onChange: (d) => set({ drop: d }),
  });
  const examples = [...new Set(runs.map((r) => r.result.numExamples))];
  const datasets = [...new Set(runs.map((r) => r.result.dataset.name))];
  const title = payload.title || (payload.mode === 'training' ? l10n.t('Training run') : l10n.t('Compare runs'));
  const stem = fileStem(payload.title || 'comparison');
  const exampleCounts = examples.map((n) => n.toLocaleString('en-US')).join(' / ');
  setExportContext({ stem, subtitle: () => l10n.t`${title} · ${datasets.join(' / ')}, ${exampleCounts} examples · drop ${state.drop}` });
  const skipped = payload.skipped ?? [];
  root.dataset.mode = payload.mode;
  root.append(
    h('header', { class: 'app-header' },
      h('div', null,
        h('h1', null, title),
        h('p', { class: 'muted' }, l10n.t`${payload.mode === 'training' ? plural(runs.length, l10n.t('{0} epoch'), l10n.t('{0} epochs')) : plural(runs.length, l10n.t('{0} run'), l10n.t('{0} runs'))} · ${datasets.join(' / ')} · ${exampleCounts} examples`),
        skipped.length ? h('div', { class: 'banner error skipped-runs', role: 'alert' },
          h('div', null, h('strong', null, skipped.length === 1 ? l10n.t('1 run left out of this comparison:') : l10n.t`${skipped.length} runs left out of this comparison:`),
            h('ul', null, ...skipped.map((x) => h('li', null, h('span', { class: 'mono' }, x.label), ` — ${x.reason}`))))) : null),
      h('div', { class: 'actions' }, ...actions)),
    h('div', { class: 'controls', role: 'toolbar', 'aria-label': l10n.t('Comparison controls') },
      drops.length > 1 ? h('div', { class: 'control' }, h('span', { class: 'toolbar-label' }, l10n.t('Drop:')), dropGroup) : h('span', { class: 'toolbar-label' }, l10n.t`Drop: ${state.drop}`),
      exportBar('comparison', l10n.t('this comparison'), [
        { format: 'json', data: () => JSON.stringify({ mode: payload.mode, title: payload.title, runs: runs.map((r) => ({ label: r.label, epoch: r.epoch, result: r.result })) }, null, 1) },
        { format: 'html', data: () => null },
      ], stem)),
  );
  if (runs.length < 2) root.append(h('p', { class: 'banner info' }, l10n.t('Only one run: add more to compare.')));
  if (payload.mode === 'training') sections.push(trainingSection(root, ctx()));
  sections.push(overlaySection(root, ctx()), summarySection(root, ctx()), deltasSection(root, ctx()), heatmapsSection(root, ctx()));
  root.dataset.drop = state.drop;
  root.dataset.fraction = String(state.fraction);
  root.dataset.diffOnly = String(state.diffOnly);
  const stop = watchTheme(() => redrawAll());
  opts.onState?.(state);
  return { getState: () => state, dispose: () => { stop(); clear(root); } };
}
