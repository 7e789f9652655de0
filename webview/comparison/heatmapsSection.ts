/** The class × expert combine-mass heatmap of every run, side by side. */
import { mountChart } from '../charts';
import { h } from '../dom';
import { chartFrame } from '../export/exportBar';
import { heatmapOption } from '../heatmap';
import { fileStem } from '../export/exportSink';
import type { ComparisonContext, Section } from './types';

export function heatmapsSection(root: HTMLElement, ctx: ComparisonContext): Section {
  const grid = h('div', { class: 'heatmap-grid', id: 'compare-heatmaps' });
  root.append(h('section', { class: 'compare-section' },
    h('h2', null, 'Specialisation'),
    h('p', { class: 'muted' }, 'Mean combine mass of each expert over the inputs of each class (first Soft MoE layer); rows sum to 1.'),
    grid));
  ctx.runs.forEach((run, i) => {
    const r = run.result;
    const spec = r.perClass.specialisation[0];
    const el = h('div', { class: 'chart chart-heat', id: `chart-compare-heat-${i}`, 'data-run': run.label });
    const fig = h('figure', { class: 'heat-cell' }, h('figcaption', null, `${run.label} — ${r.layers[0]?.numExperts ?? '?'} experts`));
    grid.append(fig);
    if (!spec) {
      fig.append(h('p', { class: 'muted' }, 'No specialisation data in this result.'));
      return;
    }
    fig.append(chartFrame(el, `specialisation of ${fileStem(run.label)}`));
    const m = spec.classExpertMass;
    const names = r.dataset.classNames.length ? r.dataset.classNames : r.perClass.classNames;
    mountChart(el, (p) => heatmapOption(p, {
      xLabels: Array.from({ length: m[0]?.length ?? 0 }, (_, e) => String(e)), yLabels: m.map((_, c) => names[c] ?? String(c)),
      xName: 'expert', yName: 'class', matrix: m, scale: 'sequential', min: 0, showValues: (m[0]?.length ?? 0) <= 8,
      format: (v) => v.toFixed(2),
    }), { run: run.label, rows: m.length, cols: m[0]?.length ?? 0 }, `Class × expert combine mass of ${run.label}`);
  });
  return { update: () => undefined };
}
