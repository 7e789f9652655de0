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
  const caution = unreliable ? ' — not reliable, see the notes above' : '';
  clear(root);
  root.append(
    ...(assumed.length > 0
      ? [h('p', { class: 'banner info preprocessing-notice', role: 'note' },
        `Every number here was measured with preprocessing the checkpoint and its sidecars do not give: ${assumed.join('; ')}. Put the values used in training in softmoe.json beside the checkpoint to change them.`)]
      : []),
    h('div', { class: 'stats' },
      stat('Full accuracy', pct(r.fullAccuracy), `${fmtInt(r.fullCorrect)} correct of ${examplesText(r)}`),
      stat('Recommended k', rec.k === null ? `all ${n} needed` : `${rec.k} of ${n}`,
        `${rec.k === null ? `no k below ${n} reaches` : 'smallest k reaching'} ${pct(rec.target, 0)} of full accuracy (${rec.selector}, ${rec.drop})${caution}`),
      stat('Expert FLOPs saved', pct(rec.expertFlopsSaved ?? 0, 0), rec.accuracy === null ? 'every expert is needed' : `at ${pct(rec.accuracy)} accuracy${caution}`),
      stat(`At k = ${k} (${drop})`, heur ? pct(heur.accuracy) : '–',
        rand ? `heuristic vs random ${pct(rand.accuracy)}${rand.std !== undefined ? ` ± ${pct(rand.std)}` : ''}` : 'heuristic'),
      ...(oracle?.chance !== undefined ? [stat(`Oracle at k = ${k}`, pct(oracle.accuracy),
        `a wrong label: ${pct(oracle.chance)} · excess ${ppoints(oracle.excess ?? 0)}${oracle.greedy ? ' (greedy)' : ''}`)] : []),
      ...(g ? [stat('Global subset (one for all inputs)', g.recommended.k === null ? `all ${n} needed` : `${g.recommended.k} of ${n}`,
        g.recommended.k === null ? `no single subset keeps ${pct(g.recommended.target, 0)} (${g.recommended.drop})`
          : `${pct(g.recommended.accuracy)} (${g.recommended.drop})${g.recommended.parametersSaved !== null ? ` · ${fmtInt(g.recommended.parametersSaved)} parameters fewer when pruned` : ''}`)] : []),
    ),
    h('h3', null, 'Run'),
    h('dl', { class: 'facts' },
      h('dt', null, 'Checkpoint'), h('dd', null, h('span', { class: 'mono' }, r.checkpoint.path || r.checkpoint.name), ` — ${r.checkpoint.format}, ${r.checkpoint.architecture}, ${fmtInt(r.checkpoint.parameterCount)} parameters`),
      h('dt', null, 'Dataset'), h('dd', null, `${r.dataset.name} — ${examplesText(r)}, ${plural(r.dataset.numClasses, 'class')} · `, h('span', { class: 'mono' }, r.dataset.path)),
      ...(r.preprocessing ? [h('dt', null, 'Preprocessing'), h('dd', null, preprocessingText(r.preprocessing))] : []),
      h('dt', null, 'Drop modes'), h('dd', null, r.options.drops.join(', ')),
      h('dt', null, 'Selectors'), h('dd', null, r.options.selectors.join(', '), ...(r.options.skippedSelectors ?? []).map((x) => ` · ${x.selector} left out: it ${x.reason}`)),
      ...(g ? [h('dt', null, 'Global calibration'), h('dd', { title: g.calibration.path }, `${g.calibration.name} [${g.calibration.start}:${g.calibration.end}] — ${fmtInt(g.calibration.examples)} examples (not evaluated on), ${g.ranking}`)] : []),
      h('dt', null, 'Random trials'), h('dd', null, `${plural(r.options.trials, 'trial')} (seed ${r.options.seed})`),
      h('dt', null, 'k values'), h('dd', null, r.options.ks.join(', ')),
      h('dt', null, 'Engine'), h('dd', null, `${r.tool.engine?.label ?? `backend ${r.tool.backend}`} — ${r.timing.seconds.toFixed(1)} s, ${fmtInt(r.timing.examplesPerSecond)} examples/s`),
      h('dt', null, 'Created'), h('dd', { title: r.createdAt }, `${fmtDate(r.createdAt)} by ${r.tool.name} ${r.tool.version}`),
    ),
    h('h3', null, 'Soft MoE layers'),
    tableFrame(h('div', null, h('table', { class: 'grid-table' },
      h('thead', null, h('tr', null, ...['Layer', 'Layout', 'Experts', 'Slots/expert', 'Dim', 'Expert hidden'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, ...r.layers.map((l, i) => h('tr', null,
        h('td', null, layerLabel(l.name, i)), h('td', null, l.layout), h('td', null, l.numExperts), h('td', null, l.slotsPerExpert), h('td', null, l.dim), h('td', null, l.expertHidden)))),
    )), 'Soft MoE layers'),
  );
}

function preprocessingText(p: Preprocessing): string {
  const v = (x: number[]) => `[${x.map((n) => Number(n.toPrecision(4))).join(', ')}]`;
  const parts = [`mean ${v(p.mean)} (${describeSource(p.sources.mean)})`, `std ${v(p.std)} (${describeSource(p.sources.std)})`,
    `input ${p.inputSize.join('×')} (${describeSource(p.sources.inputSize)})`];
  if (p.resized && p.resize) parts.push(`images resized, crop ${p.resize.cropPct}, ${p.resize.interpolation}`);
  return parts.join('; ');
}

export const overviewView: View = {
  id: 'overview',
  title: 'Overview',
  mount(container, ctx) {
    const root = h('div', { class: 'view overview' });
    container.append(root);
    render(root, ctx);
    return { update: (c) => render(root, c) };
  },
};
