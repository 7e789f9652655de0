/**
 * What the CLI says about preprocessing: one summary line for eval / analyze output, and warnings on stderr when a
 * value is a documented default because no sidecar or checkpoint gave it (nothing is assumed silently).
 */
import { defaultedPreprocessing, describeSource, type Preprocessing } from '../../core/analysis/schema';
import { safeText } from './safeText';

const fmt = (v: number[]): string => `[${v.map((x) => Number(x.toPrecision(6))).join(', ')}]`;

/** 'mean [0.2860] (from "mean" in …/softmoe.json), std … , input 28×28 (…)'. */
export function preprocessingLine(p: Preprocessing): string {
  const s = p.sources;
  const parts = [`mean ${fmt(p.mean)} (${describeSource(s.mean)})`, `std ${fmt(p.std)} (${describeSource(s.std)})`, `input ${p.inputSize.join('×')} (${describeSource(s.inputSize)})`];
  if (p.resized && p.resize) parts.push(`images resized: crop_pct ${p.resize.cropPct}, ${p.resize.interpolation}`);
  return safeText(parts.join(', '));
}

/** `softmoe: warning: …` lines (with a trailing newline each), empty when nothing was defaulted. */
export function preprocessingWarnings(p: Preprocessing | undefined, checkpoint: string): string {
  if (!p) return '';
  const lines = defaultedPreprocessing(p);
  if (lines.length === 0) return '';
  const keys = ['mean', 'std'].filter((k) => p.sources[k as 'mean' | 'std'].from === 'default');
  if (p.resized) {
    if (p.sources.inputSize.from === 'default') keys.push('img_size');
    if (p.sources.cropPct?.from === 'default') keys.push('crop_pct');
    if (p.sources.interpolation?.from === 'default') keys.push('interpolation');
  }
  const out = lines.map((l) => `softmoe: warning: ${safeText(l)}: no sidecar or checkpoint gives it`);
  out.push(`softmoe: warning: if the model was trained with other values, put them in softmoe.json beside ${safeText(checkpoint)} (${keys.map((k) => `"${k}"`).join(', ')})`);
  return `${out.join('\n')}\n`;
}
