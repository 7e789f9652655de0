/**
 * ECharts, tree-shaken to what the views use, drawn with the SVG renderer (so charts export as SVG and scale
 * crisply). Every chart is built from a function of the palette, so a theme change redraws it in new colours.
 */
import * as echarts from 'echarts/core';
import { BarChart, HeatmapChart, LineChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, MarkLineComponent, TooltipComponent, VisualMapComponent } from 'echarts/components';
import { LegacyGridContainLabel } from 'echarts/features';
import { CanvasRenderer, SVGRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';
import { readPalette } from './theme';
import type { Palette } from './theme';

echarts.use([LineChart, BarChart, HeatmapChart, GridComponent, TooltipComponent, LegendComponent, MarkLineComponent, VisualMapComponent, AriaComponent, LegacyGridContainLabel, SVGRenderer, CanvasRenderer]);

export type OptionBuilder = (p: Palette) => EChartsCoreOption;

interface Mounted {
  el: HTMLElement;
  /** Null until the element has a size (a chart drawn in a hidden tab would be 0 × 0). */
  chart: echarts.ECharts | null;
  build: OptionBuilder;
}

function draw(m: Mounted): void {
  if (m.chart) {
    m.chart.resize();
    return;
  }
  m.chart = echarts.init(m.el, undefined, { renderer: 'svg' });
  m.chart.setOption({ ...baseOption(readPalette()), ...m.build(readPalette()) });
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
  const m: Mounted = { el, chart: null, build };
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
  for (const m of mounted) m.chart?.setOption({ ...baseOption(p), ...m.build(p) }, { notMerge: true });
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

/**
 * Draw the chart of `el` once more, off screen, at its on-screen size with the theme's background filled in, and
 * return it as SVG markup or as a PNG data: URL (canvas renderer, 2× pixels). Null when no chart is mounted there.
 */
function renderExport(el: HTMLElement, format: 'svg' | 'png'): string | null {
  const m = find(el);
  if (!m) return null;
  const width = Math.max(320, el.clientWidth || 800);
  const height = Math.max(200, el.clientHeight || 400);
  const host = document.createElement('div');
  host.style.cssText = `position:fixed;left:-30000px;top:0;width:${width}px;height:${height}px;`;
  document.body.append(host);
  const chart = echarts.init(host, undefined, { renderer: format === 'png' ? 'canvas' : 'svg', width, height, devicePixelRatio: 2 });
  try {
    // ECharts writes the font family into SVG attributes unescaped: keep its quotes single.
    const p = { ...readPalette(), font: readPalette().font.replace(/"/g, "'") };
    chart.setOption({ ...baseOption(p), ...m.build(p), backgroundColor: p.bg });
    return format === 'png' ? chart.getDataURL({ type: 'png', pixelRatio: 2, backgroundColor: p.bg }) : chart.renderToSVGString();
  } finally {
    chart.dispose();
    host.remove();
  }
}

/** The SVG markup of the chart drawn in `el` (standalone: theme background, fonts and colours inline), or null. */
export function chartSvg(el: HTMLElement): string | null {
  return renderExport(el, 'svg');
}

/** The chart drawn in `el` as a `data:image/png;base64,` URL at twice its on-screen resolution, or null. */
export function chartPng(el: HTMLElement): string | null {
  return renderExport(el, 'png');
}
