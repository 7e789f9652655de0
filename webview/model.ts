/** Pure helpers over an AnalysisResult (no DOM): what each view looks up. */
import * as l10n from '@vscode/l10n';
import { curvePoint, type AnalysisResult, type Curve, type CurvePoint, type DropMode, type SelectorName } from '../src/core/analysis/schema';
import { SELECTOR_NAMES } from '../src/core/analysis/selectorRegistry';
import type { PanelState } from '../src/core/protocol/webviewProtocol';

/** Legends and tables list selectors in the registry's order. */
const order = (s: SelectorName): number => SELECTOR_NAMES.indexOf(s);

export function numExperts(r: AnalysisResult, layer = 0): number {
  return r.layers[layer]?.numExperts ?? r.layers[0]?.numExperts ?? 1;
}

export function drops(r: AnalysisResult): DropMode[] {
  const seen = new Set<DropMode>(r.curves.map((c) => c.drop));
  return (['zero', 'renorm'] as DropMode[]).filter((d) => seen.has(d));
}

export function curvesFor(r: AnalysisResult, drop: DropMode): Curve[] {
  return r.curves
    .filter((c) => c.drop === drop)
    .sort((a, b) => order(a.selector) - order(b.selector));
}

export function pointAt(r: AnalysisResult, selector: SelectorName, drop: DropMode, k: number): CurvePoint | null {
  return curvePoint(r, selector, drop, k);
}

/** Every k that any curve has a point for, ascending. */
export function allKs(r: AnalysisResult): number[] {
  const ks = new Set<number>(r.options.ks);
  for (const c of r.curves) for (const p of c.points) ks.add(p.k);
  return [...ks].filter((k) => Number.isInteger(k) && k > 0).sort((a, b) => a - b);
}

/** The state with `k`, `drop` and `layer` made valid for this result (saved state may come from another run). */
export function resolveState(r: AnalysisResult, s: PanelState): PanelState {
  const ks = allKs(r);
  const ds = drops(r);
  const n = numExperts(r);
  const fallbackK = r.recommended.k ?? ks.find((k) => k >= n / 4) ?? ks[0] ?? 1;
  const k = s.k !== null && ks.includes(s.k) ? s.k : fallbackK;
  const drop = s.drop !== null && ds.includes(s.drop) ? s.drop : (ds.includes(r.recommended.drop) ? r.recommended.drop : (ds[0] ?? 'zero'));
  const layer = s.layer < Math.max(1, r.layers.length) ? s.layer : 0;
  const sample = s.sample !== null && r.samples.some((x) => x.index === s.sample) ? s.sample : null;
  return { ...s, k, drop, layer, sample };
}

export function layerLabel(name: string, i: number): string {
  return name === '' ? l10n.t`MoE layer ${i + 1}` : name;
}

export function className(r: AnalysisResult, c: number): string {
  return r.dataset.classNames[c] ?? r.perClass.classNames[c] ?? String(c);
}

/** The experts the heuristic keeps for one sample at k (top k of its ranking, at one layer). */
export function selectedExperts(ranking: number[], k: number): number[] {
  return ranking.slice(0, Math.max(0, k));
}

/** Decode a sample's base64 image into RGBA pixels (grey images are expanded). */
export function decodeImage(img: { height: number; width: number; channels: number; data: string }): Uint8ClampedArray<ArrayBuffer> {
  const bin = atob(img.data);
  const n = img.height * img.width;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = bin.charCodeAt(i * img.channels + (img.channels >= 3 ? c : 0)) || 0;
    out[i * 4 + 3] = 255;
  }
  return out;
}
