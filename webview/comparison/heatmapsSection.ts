/**
 * The class × expert combine mass of every run, side by side, on ONE colour scale so they compare by eye. Runs
 * with different numbers of experts have different uniform levels (1/n), so each cell shows its mass relative to
 * uniform (mass × n: 1 = uniform routing), on a diverging scale centred on 1 and bounded by the largest deviation
 * of any run.
 */
import * as l10n from '@vscode/l10n';
import { mountChart } from '../charts';
import { h } from '../dom';
import { chartFrame } from '../export/exportBar';
import { heatmapOption } from '../heatmap';
import { fileStem } from '../export/exportSink';
import type { ComparisonContext, Section } from './types';

/** Each run's mass × n, and the shared scale [1 − b, 1 + b]. */
export function sharedMassScale(matrices: number[][][]): { relative: number[][][]; min: number; max: number } {
  let bound = 1e-9;
  const relative = matrices.map((m) => {
    const n = m[0]?.length ?? 0;
    return m.map((row) => row.map((v) => {
      const r = v * n;
      if (Number.isFinite(r)) bound = Math.max(bound, Math.abs(r - 1));
      return r;
    }));
  });
  // Symmetric around 1, so the background colour sits exactly at uniform.
  return { relative, min: 1 - bound, max: 1 + bound };
}

export function heatmapsSection(root: HTMLElement, ctx: ComparisonContext): Section {
  const grid = h('div', { class: 'heatmap-grid', id: 'compare-heatmaps' });
  const specs = ctx.runs.map((run) => run.result.perClass.specialisation[0]);
  const scale = sharedMassScale(specs.map((s) => s?.classExpertMass ?? []));
  root.append(h('section', { class: 'compare-section' },
    h('h2', null, l10n.t('Specialisation')),
    h('p', { class: 'muted' }, l10n.t`Mean combine mass of each expert over the inputs of each class (first Soft MoE layer), relative to uniform routing: mass × n, so 1 is an even share (blue above, red below) whatever the run's number of experts. One colour scale for all runs: ${scale.min.toFixed(2)} to ${scale.max.toFixed(2)}.`),
    grid));
  ctx.runs.forEach((run, i) => {
    const r = run.result;
    const spec = specs[i];
    const el = h('div', { class: 'chart chart-heat', id: `chart-compare-heat-${i}`, 'data-run': run.label });
    const fig = h('figure', { class: 'heat-cell' }, h('figcaption', null, l10n.t`${run.label} — ${r.layers[0]?.numExperts ?? '?'} experts`));
    grid.append(fig);
    if (!spec) {
      fig.append(h('p', { class: 'muted' }, l10n.t('No specialisation data in this result.')));
      return;
    }
    fig.append(chartFrame(el, `specialisation of ${fileStem(run.label)}`, l10n.t`specialisation of ${run.label}`, l10n.t`Class × expert mass relative to uniform — ${run.label}`));
    const m = scale.relative[i] as number[][];
    const names = r.dataset.classNames.length ? r.dataset.classNames : r.perClass.classNames;
    mountChart(el, (p) => heatmapOption(p, {
      xLabels: Array.from({ length: m[0]?.length ?? 0 }, (_, e) => String(e)), yLabels: m.map((_, c) => names[c] ?? String(c)),
      xName: l10n.t('expert'), yName: l10n.t('class'), matrix: m, scale: 'diverging', center: 1, min: scale.min, max: scale.max,
      showValues: (m[0]?.length ?? 0) <= 8, format: (v) => `${v.toFixed(2)}×`,
    }), { run: run.label, rows: m.length, cols: m[0]?.length ?? 0, min: scale.min, max: scale.max }, l10n.t`Class × expert combine mass of ${run.label}, relative to uniform`);
  });
  return { update: () => undefined };
}
