/** The summary table: one column per run, one row per figure, and a "differences only" switch. */
import * as l10n from '@vscode/l10n';
import { differencesOnly, preprocessingDiffers, summaryRows } from '../../src/core/report/comparison';
import type { SummaryRow } from '../../src/core/report/comparison';
import { summaryCsv } from '../../src/core/report/comparisonCsv';
import { clear, fmtInt, h, pct } from '../dom';
import { tableFrame } from '../export/exportBar';
import type { ComparisonContext, Section } from './types';

function fmt(r: SummaryRow, v: string | number | null): string {
  if (v === null) return '–';
  if (typeof v === 'string') return v;
  if (r.format === 'pct') return pct(v);
  if (r.format === 'int') return fmtInt(v);
  if (r.format === 'nats') return v.toFixed(3);
  return String(v);
}

function render(host: HTMLElement, note: HTMLElement, ctx: ComparisonContext): void {
  const all = summaryRows(ctx.runs, ctx.state.drop);
  const rows = ctx.state.diffOnly ? differencesOnly(all) : all;
  clear(host);
  host.append(h('table', { class: 'grid-table compare-table' },
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, l10n.t('Figure')), ...ctx.runs.map((r) => h('th', { scope: 'col', title: r.result.checkpoint.path }, r.label)))),
    h('tbody', null, ...rows.map((r) => h('tr', { 'data-row': r.id, class: r.differs ? 'differs' : null },
      h('th', { scope: 'row' }, r.label), ...r.values.map((v) => h('td', null, fmt(r, v))))))));
  const differently = preprocessingDiffers(ctx.runs);
  note.textContent = (ctx.state.diffOnly ? l10n.t`${rows.length} of ${all.length} rows differ between the runs.` : l10n.t`At the fractions shown, heuristic and random use drop mode ${ctx.state.drop}; rows that differ are marked.`)
    + (differently ? ` ${differently}` : '');
}

export function summarySection(root: HTMLElement, ctx: ComparisonContext): Section {
  const host = h('div', { class: 'table-scroll', id: 'compare-summary' });
  const note = h('p', { class: 'muted', 'aria-live': 'polite' });
  const toggle = h('input', { type: 'checkbox', id: 'diff-only', checked: ctx.state.diffOnly });
  toggle.addEventListener('change', () => ctx.set({ diffOnly: toggle.checked }));
  root.append(h('section', { class: 'compare-section' },
    h('h2', null, l10n.t('Summary')),
    h('div', { class: 'toolbar' }, h('label', { class: 'check', for: 'diff-only' }, toggle, l10n.t('Differences only'))), note,
    tableFrame(host, 'summary table', l10n.t('summary table'), () => summaryCsv(ctx.runs.map((r) => r.label), summaryRows(ctx.runs, ctx.state.drop)))));
  render(host, note, ctx);
  return {
    update: (c) => {
      ctx = c;
      toggle.checked = c.state.diffOnly;
      render(host, note, c);
    },
  };
}
