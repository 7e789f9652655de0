/** One colour per run: the theme's chart colours, then mixes of them toward the foreground for long training runs. */
import type { Palette } from '../theme';

function rgb(c: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{6})/i.exec(c.trim());
  if (!m) return null;
  return [0, 2, 4].map((i) => parseInt(m[1].slice(i, i + 2), 16)) as [number, number, number];
}

export function runColor(p: Palette, i: number): string {
  const base = p.series[i % p.series.length];
  const round = Math.floor(i / p.series.length);
  if (round === 0) return base;
  const a = rgb(base);
  const b = rgb(round % 2 ? p.fg : p.bg);
  if (!a || !b) return base;
  const t = Math.min(0.6, 0.3 * Math.ceil(round / 2));
  return `rgb(${a.map((v, j) => Math.round(v + (b[j] - v) * t)).join(', ')})`;
}
