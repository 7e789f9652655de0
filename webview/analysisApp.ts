/**
 * The analysis panel: header, the controls shared by every view (drop mode, k), and the tabs. Used by the
 * VS Code panel and by the standalone HTML report alike; it knows nothing of VS Code.
 */
import * as l10n from '@vscode/l10n';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import type { AnalysisResult } from '../src/core/analysis/schema';
import type { PanelState } from '../src/core/protocol/webviewProtocol';
import { defaultPanelState } from '../src/core/protocol/webviewProtocol';
import { examplesText, resultNotes } from '../src/core/report/resultNotes';
import { runName, runStem } from '../src/core/report/runLabels';
import { redrawAll, resizeAll } from './charts';
import { clear, h, pct, plural } from './dom';
import { exportBar } from './export/exportBar';
import { setExportContext } from './export/exportContext';
import { allKs, drops, numExperts, pointAt, resolveState } from './model';
import { radioGroup, setRadioValue } from './radioGroup';
import { watchTheme } from './theme';
import { curvesView } from './views/curvesView';
import { overviewView } from './views/overviewView';
import { routingView } from './views/routingView';
import { samplesView } from './views/samplesView';
import { specialisationView } from './views/specialisationView';
import type { View, ViewContext } from './views/types';

export const ANALYSIS_VIEWS: View[] = [overviewView, curvesView, specialisationView, routingView, samplesView];

export interface AnalysisAppOptions {
  state?: Partial<PanelState>;
  /** Called after every state change (the VS Code panel saves it with setState). */
  onState?: (s: PanelState) => void;
  /** Extra buttons in the header (e.g. Re-run in VS Code). */
  actions?: Array<{ label: string; run: () => void }>;
  /** "Prune Experts…": write the checkpoint with the global subset at k (VS Code only). */
  onPrune?: (k: number) => void;
}

export interface AnalysisApp {
  getState(): PanelState;
  setState(patch: Partial<PanelState>): void;
  dispose(): void;
}

export function renderAnalysis(root: HTMLElement, result: AnalysisResult, opts: AnalysisAppOptions = {}): AnalysisApp {
  clear(root);
  let state = resolveState(result, { ...defaultPanelState(), ...opts.state });
  const n = numExperts(result);
  const ks = allKs(result);
  const mountedViews = new Map<string, { update(c: ViewContext): void }>();
  const dirty = new Set<string>();

  const canPrune = opts.onPrune !== undefined && result.globalSelection?.orders.renorm !== undefined;
  const ctx = (): ViewContext => ({ result, state, set, ...(canPrune && opts.onPrune ? { prune: opts.onPrune } : {}) });

  // ---- header and shared controls
  const kLabel = h('output', { class: 'k-label', for: 'k-slider', 'aria-live': 'polite' });
  const kSlider = h('input', {
    type: 'range', id: 'k-slider', min: 0, max: Math.max(0, ks.length - 1), step: 1,
    value: Math.max(0, ks.indexOf(state.k ?? ks[0])), 'aria-label': l10n.t('Experts kept per input (k)'),
  });
  kSlider.addEventListener('input', () => set({ k: ks[Number(kSlider.value)] ?? state.k }));
  const dropGroup = radioGroup({
    label: l10n.t('How dropped experts are removed'), name: 'drop', className: 'drop-toggle', value: state.drop ?? 'zero',
    choices: drops(result).map((d) => ({ value: d, text: d === 'zero' ? l10n.t('zero (no renormalisation)') : l10n.t('renormalise') })),
    onChange: (d) => set({ drop: d }),
  });
  const kNote = h('span', { class: 'k-note muted' });
  const actions = (opts.actions ?? []).map((a) => {
    const b = h('vscode-button', { secondary: true }, a.label);
    b.addEventListener('click', a.run);
    return b;
  });
  const name = runName(result.checkpoint.path || result.checkpoint.name);
  const notes = resultNotes(result);
  setExportContext({
    stem: runStem(result.checkpoint.path || result.checkpoint.name),
    subtitle: () => l10n.t`${name} · ${result.dataset.name}, ${examplesText(result)} · drop ${state.drop ?? 'zero'} · k = ${state.k ?? 1} of ${n}`,
  });
  root.append(
    h('header', { class: 'app-header' },
      h('div', null,
        h('h1', { title: result.checkpoint.path }, name, h('span', { class: 'muted' }, ` · ${result.dataset.name}`)),
        h('p', { class: 'muted' }, l10n.t`${result.checkpoint.architecture} · ${plural(result.layers.length, l10n.t('{0} Soft MoE layer'), l10n.t('{0} Soft MoE layers'))} · ${plural(n, l10n.t('{0} expert'), l10n.t('{0} experts'))} · ${examplesText(result)} · full accuracy ${pct(result.fullAccuracy)}`),
        notes.length ? h('ul', { class: 'notes', 'aria-label': l10n.t('Limits and assumptions of these numbers') },
          ...notes.map((x) => h('li', { class: `note ${x.severity}`, 'data-note': x.id }, x.text))) : null),
      h('div', { class: 'actions' }, ...actions)),
    h('div', { class: 'controls', role: 'toolbar', 'aria-label': l10n.t('Analysis controls') },
      h('div', { class: 'control' }, h('span', { class: 'toolbar-label' }, l10n.t('Drop:')), dropGroup),
      h('div', { class: 'control k-control' }, h('label', { for: 'k-slider', class: 'toolbar-label' }, l10n.t('Experts kept:')), kSlider, kLabel, kNote),
      exportBar('analysis', l10n.t('this analysis'), [
        { format: 'json', data: () => JSON.stringify(result, null, 1) },
        { format: 'html', data: () => null },
      ], `${runStem(result.checkpoint.path || result.checkpoint.name)}.softmoe`)),
  );

  // ---- tabs
  const tabs = h('vscode-tabs', { 'selected-index': Math.max(0, ANALYSIS_VIEWS.findIndex((v) => v.id === state.tab)), panel: false });
  const panels = new Map<string, HTMLElement>();
  for (const v of ANALYSIS_VIEWS) {
    tabs.append(h('vscode-tab-header', { slot: 'header', 'data-tab': v.id }, v.title()));
    const panel = h('vscode-tab-panel', { 'data-view': v.id });
    panels.set(v.id, panel);
    tabs.append(panel);
  }
  tabs.addEventListener('vsc-tabs-select', (e) => {
    const i = (e as CustomEvent<{ selectedIndex: number }>).detail.selectedIndex;
    const v = ANALYSIS_VIEWS[i];
    if (v) set({ tab: v.id });
  });
  root.append(tabs);

  function showActive(): void {
    const v = ANALYSIS_VIEWS.find((x) => x.id === state.tab) ?? ANALYSIS_VIEWS[0];
    const m = mountedViews.get(v.id);
    if (!m) mountedViews.set(v.id, v.mount(panels.get(v.id) as HTMLElement, ctx()));
    else if (dirty.has(v.id)) m.update(ctx());
    dirty.delete(v.id);
    requestAnimationFrame(() => resizeAll());
  }

  function syncControls(): void {
    const k = state.k ?? 1;
    kSlider.value = String(Math.max(0, ks.indexOf(k)));
    setRadioValue(dropGroup, state.drop ?? 'zero');
    kLabel.textContent = l10n.t`k = ${k} of ${n} (${pct(k / n, 0)})`;
    const hp = pointAt(result, 'heuristic', state.drop ?? 'zero', k);
    const rp = pointAt(result, 'random', state.drop ?? 'zero', k);
    kNote.textContent = hp ? (rp ? l10n.t`heuristic ${pct(hp.accuracy)} · random ${pct(rp.accuracy)}` : l10n.t`heuristic ${pct(hp.accuracy)}`) : '';
    kSlider.setAttribute('aria-valuetext', kLabel.textContent);
    root.dataset.k = String(k);
    root.dataset.drop = state.drop ?? '';
    root.dataset.tab = state.tab;
  }

  function set(patch: Partial<PanelState>): void {
    state = resolveState(result, { ...state, ...patch });
    const onlyTab = Object.keys(patch).every((key) => key === 'tab');
    if (!onlyTab) for (const id of mountedViews.keys()) dirty.add(id);
    syncControls();
    showActive();
    opts.onState?.(state);
  }

  syncControls();
  showActive();
  const stopWatching = watchTheme(() => redrawAll());
  opts.onState?.(state);

  return {
    getState: () => state,
    setState: (patch) => set(patch),
    dispose: () => {
      stopWatching();
      clear(root);
    },
  };
}
