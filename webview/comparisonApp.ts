/**
 * The comparison panel: several analyses side by side (Compare Runs) or the epochs of one training run (Analyze
 * Training Run). One scrolling page of sections sharing a drop mode; used by the VS Code panel and the standalone
 * report alike.
 */
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import type { AnalysisResult, DropMode } from '../src/core/analysis/schema';
import type { ComparisonMode } from '../src/core/protocol/webviewProtocol';
import { sharedDrops, sharedFractions } from '../src/core/report/comparison';
import type { RunInput } from '../src/core/report/comparison';
import { redrawAll, resizeAll } from './charts';
import { clear, h } from './dom';
import { exportBar } from './export/exportBar';
import { fileStem } from './export/exportSink';
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
}

export interface ComparisonAppOptions {
  state?: Partial<ComparisonState>;
  onState?: (s: ComparisonState) => void;
  actions?: Array<{ label: string; run: () => void }>;
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
  const dropGroup = h('vscode-radio-group', { 'aria-label': 'How dropped experts are removed', class: 'drop-toggle' },
    ...drops.map((d) => h('vscode-radio', { name: 'drop', value: d, label: d, checked: d === state.drop }, d === 'zero' ? 'zero (no renormalisation)' : 'renormalise')));
  dropGroup.addEventListener('change', (e) => {
    const v = (e.target as HTMLInputElement).value;
    if (v === 'zero' || v === 'renorm') set({ drop: v });
  });
  const examples = [...new Set(runs.map((r) => r.result.numExamples))];
  const stem = fileStem(payload.title || 'comparison');
  root.dataset.mode = payload.mode;
  root.append(
    h('header', { class: 'app-header' },
      h('div', null,
        h('h1', null, payload.title || (payload.mode === 'training' ? 'Training run' : 'Compare runs')),
        h('p', { class: 'muted' }, `${runs.length} ${payload.mode === 'training' ? 'epochs' : 'runs'} · ${runs[0]?.result.dataset.name ?? ''} · ${examples.map((n) => n.toLocaleString('en-US')).join(' / ')} examples`)),
      h('div', { class: 'actions' }, ...actions)),
    h('div', { class: 'controls', role: 'toolbar', 'aria-label': 'Comparison controls' },
      drops.length > 1 ? h('div', { class: 'control' }, h('span', { class: 'toolbar-label' }, 'Drop:'), dropGroup) : h('span', { class: 'toolbar-label' }, `Drop: ${state.drop}`),
      exportBar('this comparison', [
        { format: 'json', data: () => JSON.stringify({ mode: payload.mode, title: payload.title, runs: runs.map((r) => ({ label: r.label, epoch: r.epoch, result: r.result })) }, null, 1) },
        { format: 'html', data: () => null },
      ], stem)),
  );
  if (runs.length < 2) root.append(h('p', { class: 'banner info' }, 'Only one run: add more to compare.'));
  if (payload.mode === 'training') sections.push(trainingSection(root, ctx()));
  sections.push(overlaySection(root, ctx()), summarySection(root, ctx()), deltasSection(root, ctx()), heatmapsSection(root, ctx()));
  root.dataset.drop = state.drop;
  root.dataset.fraction = String(state.fraction);
  root.dataset.diffOnly = String(state.diffOnly);
  const stop = watchTheme(() => redrawAll());
  opts.onState?.(state);
  return { getState: () => state, dispose: () => { stop(); clear(root); } };
}
