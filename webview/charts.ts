/**
 * ECharts, tree-shaken to what the views use, drawn with the SVG renderer (so charts export as SVG and scale
 * crisply). Every chart is built from a function of the palette, so a theme change redraws it in new colours.
 */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { LegacyGridContainLabel } from 'echarts/features';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { exportContext } from './export/exportContext';
import { exportPalette, readPalette } from './theme';
import type { Palette } from './theme';

echarts.use([LineChart, BarChart, HeatmapChart, GridComponent, TitleComponent, TooltipComponent, LegendComponent, MarkLineComponent, VisualMapComponent, AriaComponent, LegacyGridContainLabel, SVGRenderer, CanvasRenderer]);

export type OptionBuilder = (p: Palette) => EChartsCoreOption;

interface Mounted {
  el: HTMLElement;
  /** Null until the element has a size (a chart drawn in a hidden tab would be 0 × 0). */
  chart: echarts.ECharts | null;
  build: OptionBuilder;
  /** The figure's accessible name, also ECharts' aria description (which it would otherwise write in English). */
  label: string;
}

function draw(m: Mounted): void {
  if (m.chart) {
    m.chart.resize();
    return;
  }
  m.chart = echarts.init(m.el, undefined, { renderer: 'svg' });
  m.chart.setOption({ ...baseOption(readPalette()), ...ariaOption(m), ...m.build(readPalette()) });
  m.el.dataset.drawn = 'true';
}

const mounted = new Set<Mounted>();
let resizeObserver: ResizeObserver | null = null;

function observer(): ResizeObserver {
  if (!resizeObserver) {
    resizeObserver = new ResizeObserver((entries) => {
      for (const m of mounted) if (entries.some((e) => e.target === m.el) && m.el.clientWidth > 0) draw(m);
    });
  }
  return resizeObserver;
}

/** Axis, tooltip and text styles shared by every chart, in theme colours. */
export function baseOption(p: Palette): EChartsCoreOption {
  return {
    backgroundColor: 'transparent',
    textStyle: { color: p.fg, fontFamily: p.font, fontSize: p.fontSize - 1 },
    aria: { enabled: true },
    animation: false,
    tooltip: { backgroundColor: p.bg, borderColor: p.grid, textStyle: { color: p.fg, fontFamily: p.font } },
  };
}

function ariaOption(m: Mounted): EChartsCoreOption {
  return { aria: { enabled: true, label: { description: m.label } } };
}

export function axisStyle(p: Palette): Record<string, unknown> {
  return {
    axisLine: { lineStyle: { color: p.grid } },
    axisTick: { lineStyle: { color: p.grid } },
    axisLabel: { color: p.muted },
    splitLine: { lineStyle: { color: p.border } },
    nameTextStyle: { color: p.muted },
  };
}

/**
 * Draw a chart into `el` (replacing any chart there). `summary` is a short JSON description of what is drawn,
 * written to `data-summary` for tests and screen-reader-free checks; `label` becomes the figure's aria-label.
 */
export function mountChart(el: HTMLElement, build: OptionBuilder, summary: unknown, label: string): void {
  disposeChart(el);
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  el.dataset.summary = JSON.stringify(summary);
  const m: Mounted = { el, chart: null, build, label };
  mounted.add(m);
  if (el.isConnected && el.clientWidth > 0) draw(m);
  observer().observe(el);
}

export function disposeChart(el: HTMLElement): void {
  for (const m of mounted) {
    if (m.el === el) {
      m.chart?.dispose();
      delete el.dataset.drawn;
      observer().unobserve(el);
      mounted.delete(m);
    }
  }
}

/** Dispose every chart under `root` (before a view is rebuilt). */
export function disposeChartsUnder(root: Element): void {
  for (const m of [...mounted]) if (root.contains(m.el)) disposeChart(m.el);
}

/** Redraw every chart in the current theme colours. */
export function redrawAll(): void {
  const p = readPalette();
  for (const m of mounted) m.chart?.setOption({ ...baseOption(p), ...ariaOption(m), ...m.build(p) }, { notMerge: true });
}

/** Resize charts that were laid out while hidden (a tab becoming visible). */
export function resizeAll(): void {
  for (const m of mounted) if (m.el.clientWidth > 0) draw(m);
}

function find(el: HTMLElement): Mounted | null {
  for (const m of mounted) if (m.el === el) return m;
  return null;
}

/** The option of the chart mounted on `el`, built in the current theme (for CSV export), or null. */
export function chartOption(el: HTMLElement): Record<string, unknown> | null {
  const m = find(el);
  return m ? (m.build(readPalette()) as Record<string, unknown>) : null;
}

/** Exported figure sizes (CSS pixels; PNG has twice as many): wide for curves and bars, square for matrices. */
export const EXPORT_SIZE = { wide: { width: 1200, height: 720 }, square: { width: 960, height: 960 } } as const;

/** Space the title and subtitle take above the chart's own layout. */
const TITLE_SPACE = 64;

function shiftTop(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shiftTop);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const top = o.top;
    if (top === undefined || typeof top === 'number') return { ...o, top: (typeof top === 'number' ? top : 0) + TITLE_SPACE };
  }
  return v;
}

/**
 * The option of a chart as exported: the theme-independent light palette (a figure looks the same whichever theme
 * the user works in), a title and a subtitle naming run, dataset and the controls' state, the layout pushed down
 * to make room for them.
 */
function exportOption(m: Mounted, title: string, p: Palette): Record<string, unknown> {
  const o = m.build(p) as Record<string, unknown>;
  const subtitle = exportContext().subtitle();
  return {
    ...baseOption(p), ...ariaOption(m), ...o, backgroundColor: p.bg,
    title: {
      text: title, subtext: subtitle, left: 16, top: 10, itemGap: 6,
      textStyle: { color: p.fg, fontFamily: p.font, fontSize: 17, fontWeight: 600 },
      subtextStyle: { color: p.muted, fontFamily: p.font, fontSize: 12 },
    },
    grid: shiftTop(o.grid ?? {}),
    ...(o.legend ? { legend: shiftTop(o.legend) } : {}),
  };
}

/**
 * Draw the chart of `el` once more, off screen, at a fixed export size with a white background, a title and a
 * subtitle, and return it as SVG markup or as a PNG data: URL (canvas renderer, 2× pixels). Null when no chart is
 * mounted there.
 */
function renderExport(el: HTMLElement, format: 'svg' | 'png', title: string): string | null {
  const m = find(el);
  if (!m) return null;
  const square = el.classList.contains('chart-square') || el.classList.contains('chart-heat');
  const { width, height } = square ? EXPORT_SIZE.square : EXPORT_SIZE.wide;
  const host = document.createElement('div');
  host.style.cssText = `position:fixed;left:-30000px;top:0;width:${width}px;height:${height}px;`;
  document.body.append(host);
  const chart = echarts.init(host, undefined, { renderer: format === 'png' ? 'canvas' : 'svg', width, height, devicePixelRatio: 2 });
  try {
    // ECharts writes the font family into SVG attributes unescaped: keep its quotes single.
    const p = exportPalette();
    chart.setOption(exportOption(m, title, { ...p, font: p.font.replace(/"/g, "'") }));
    return format === 'png' ? chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: p.bg }) : chart.renderToSVGString();
  } finally {
    chart.dispose();
    host.remove();
  }
}

/** The SVG markup of the chart drawn in `el` (standalone: white background, fonts and colours inline), or null. */
export function chartSvg(el: HTMLElement, title: string): string | null {
  return renderExport(el, 'svg', title);
}

/** The chart drawn in `el` as a `data:image/png;base64,` URL (EXPORT_SIZE at 2× pixels), or null. */
export function chartPng(el: HTMLElement, title: string): string | null {
  return renderExport(el, 'png', title);
}
