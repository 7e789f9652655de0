import * as l10n from '@vscode/l10n';
import { defaultedPreprocessing, describeSource, type Preprocessing } from '../../src/core/analysis/schema';
import { examplesText, resultNotes } from '../../src/core/report/resultNotes';
import { clear, fmtDate, fmtInt, h, pct, plural, ppoints, stat } from '../dom';
import { tableFrame } from '../export/exportBar';
import { layerLabel, pointAt } from '../model';
import type { View, ViewContext } from './types';

function render(root: HTMLElement, ctx: ViewContext): void {
  const r = ctx.result;
  const s = ctx.state;
  const k = s.k ?? 1;
  const drop = s.drop ?? 'zero';
  const rec = r.recommended;
  const heur = pointAt(r, 'heuristic', drop, k);
  const rand = pointAt(r, 'random', drop, k);
  const n = r.layers[0]?.numExperts ?? 0;
  const oracle = pointAt(r, 'oracle', drop, k);
  const g = r.globalSelection;
  const assumed = r.preprocessing ? defaultedPreprocessing(r.preprocessing) : [];
  // A recommendation from a handful of examples, or from a model at chance, says nothing: say so on the card.
  const unreliable = resultNotes(r).some((x) => x.severity === 'warn');
  const caution = unreliable ? l10n.t(' — not reliable, see the notes above') : '';
  clear(root);
  root.append(
    ...(assumed.length > 0
      ? [h('p', { class: 'banner info preprocessing-notice', role: 'note' },
        l10n.t`Every number here was measured with preprocessing the checkpoint and its sidecars do not give: ${assumed.join('; ')}. Put the values used in training in softmoe.json beside the checkpoint to change them.`)]
      : []),
    h('div', { class: 'stats' },
      stat(l10n.t('Full accuracy'), pct(r.fullAccuracy), l10n.t`${fmtInt(r.fullCorrect)} correct of ${examplesText(r)}`),
      stat(l10n.t('Recommended k'), rec.k === null ? l10n.t`all ${n} needed` : l10n.t`${rec.k} of ${n}`,
        rec.k === null
          ? l10n.t`no k below ${n} reaches ${pct(rec.target, 0)} of full accuracy (${rec.selector}, ${rec.drop})${caution}`
          : l10n.t`smallest k reaching ${pct(rec.target, 0)} of full accuracy (${rec.selector}, ${rec.drop})${caution}`),
      stat(l10n.t('Expert FLOPs saved'), pct(rec.expertFlopsSaved ?? 0, 0), rec.accuracy === null ? l10n.t('every expert is needed') : l10n.t`at ${pct(rec.accuracy)} accuracy${caution}`),
      stat(l10n.t`At k = ${k} (${drop})`, heur ? pct(heur.accuracy) : '–',
        rand ? (rand.std !== undefined ? l10n.t`heuristic vs random ${pct(rand.accuracy)} ± ${pct(rand.std)}` : l10n.t`heuristic vs random ${pct(rand.accuracy)}`) : l10n.t('heuristic')),
      ...(oracle?.chance !== undefined ? [stat(l10n.t`Oracle at k = ${k}`, pct(oracle.accuracy),
        oracle.greedy
          ? l10n.t`a wrong label: ${pct(oracle.chance)} · excess ${ppoints(oracle.excess ?? 0)} (greedy)`
          : l10n.t`a wrong label: ${pct(oracle.chance)} · excess ${ppoints(oracle.excess ?? 0)}`)] : []),
      ...(g ? [stat(l10n.t('Global subset (one for all inputs)'), g.recommended.k === null ? l10n.t`all ${n} needed` : l10n.t`${g.recommended.k} of ${n}`,
        g.recommended.k === null ? l10n.t`no single subset keeps ${pct(g.recommended.target, 0)} (${g.recommended.drop})`
          : g.recommended.parametersSaved !== null
            ? l10n.t`${pct(g.recommended.accuracy)} (${g.recommended.drop}) · ${fmtInt(g.recommended.parametersSaved)} parameters fewer when pruned`
            : l10n.t`${pct(g.recommended.accuracy)} (${g.recommended.drop})`)] : []),
    ),
    h('h3', null, l10n.t('Run')),
    h('dl', { class: 'facts' },
      h('dt', null, l10n.t('Checkpoint')), h('dd', null, h('span', { class: 'mono' }, r.checkpoint.path || r.checkpoint.name), l10n.t` — ${r.checkpoint.format}, ${r.checkpoint.architecture}, ${fmtInt(r.checkpoint.parameterCount)} parameters`),
      h('dt', null, l10n.t('Dataset')), h('dd', null, l10n.t`${r.dataset.name} — ${examplesText(r)}, ${plural(r.dataset.numClasses, l10n.t('{0} class'), l10n.t('{0} classes'))} · `, h('span', { class: 'mono' }, r.dataset.path)),
      ...(r.preprocessing ? [h('dt', null, l10n.t('Preprocessing')), h('dd', null, preprocessingText(r.preprocessing))] : []),
      h('dt', null, l10n.t('Drop modes')), h('dd', null, r.options.drops.join(', ')),
      h('dt', null, l10n.t('Selectors')), h('dd', null, r.options.selectors.join(', '), ...(r.options.skippedSelectors ?? []).map((x) => l10n.t` · ${x.selector} left out: it ${x.reason}`)),
      ...(g ? [h('dt', null, l10n.t('Global calibration')), h('dd', { title: g.calibration.path }, l10n.t`${g.calibration.name} [${g.calibration.start}:${g.calibration.end}] — ${fmtInt(g.calibration.examples)} examples (not evaluated on), ${g.ranking}`)] : []),
      h('dt', null, l10n.t('Random trials')), h('dd', null, l10n.t`${plural(r.options.trials, l10n.t('{0} trial'), l10n.t('{0} trials'))} (seed ${r.options.seed})`),
      h('dt', null, l10n.t('k values')), h('dd', null, r.options.ks.join(', ')),
      h('dt', null, l10n.t('Engine')), h('dd', null, l10n.t`${r.tool.engine?.label ?? l10n.t`backend ${r.tool.backend}`} — ${r.timing.seconds.toFixed(1)} s, ${fmtInt(r.timing.examplesPerSecond)} examples/s`),
      h('dt', null, l10n.t('Created')), h('dd', { title: r.createdAt }, l10n.t`${fmtDate(r.createdAt)} by ${r.tool.name} ${r.tool.version}`),
    ),
    h('h3', null, l10n.t('Soft MoE layers')),
    tableFrame(h('div', null, h('table', { class: 'grid-table' },
      h('thead', null, h('tr', null, ...[l10n.t('Layer'), l10n.t('Layout'), l10n.t('Experts'), l10n.t('Slots/expert'), l10n.t('Dim'), l10n.t('Expert hidden')].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, ...r.layers.map((l, i) => h('tr', null,
        h('td', null, layerLabel(l.name, i)), h('td', null, l.layout), h('td', null, l.numExperts), h('td', null, l.slotsPerExpert), h('td', null, l.dim), h('td', null, l.expertHidden)))),
    )), 'soft moe layers', l10n.t('Soft MoE layers')),
  );
}

function preprocessingText(p: Preprocessing): string {
  const v = (x: number[]) => `[${x.map((n) => Number(n.toPrecision(4))).join(', ')}]`;
  const parts = [l10n.t`mean ${v(p.mean)} (${describeSource(p.sources.mean)})`, l10n.t`std ${v(p.std)} (${describeSource(p.sources.std)})`,
    l10n.t`input ${p.inputSize.join('×')} (${describeSource(p.sources.inputSize)})`];
  if (p.resized && p.resize) parts.push(l10n.t`images resized, crop ${p.resize.cropPct}, ${p.resize.interpolation}`);
  return parts.join('; ');
}

export const overviewView: View = {
  id: 'overview',
  title: () => l10n.t('Overview'),
  mount(container, ctx) {
    const root = h('div', { class: 'view overview' });
    container.append(root);
    render(root, ctx);
    return { update: (c) => render(root, c) };
  },
};
