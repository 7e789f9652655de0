/**
 * Sample records: for a bounded, evenly spaced set of inputs, everything the extension needs to draw them —
 * the prediction at each k, each layer's expert ranking, per-token combine and per-expert dispatch weights, the
 * image as bytes and the token grid for patch overlays.
 */
import type { ModelInfo } from '../engine/model';
import type { DropMode, SampleRecord } from './schema';
import type { BatchOutcome } from './outcome';
import type { ResolvedOptions } from './options';
import { rankDescending } from './scores';

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export interface SampleSource {
  /** Images [b, H, W, C] in 0–1. */
  x: Float32Array;
  labels: Int32Array;
  start: number;
  shape: [number, number, number];
}

export function collectSamples(out: BatchOutcome, src: SampleSource, wanted: Set<number>, opts: ResolvedOptions, info: ModelInfo): SampleRecord[] {
  const records: SampleRecord[] = [];
  const { b } = out;
  const heur = out.drops[opts.drops[0] as DropMode]?.counted.heuristic;
  const [h, w, ch] = src.shape;
  const px = h * w * ch;
  for (let i = 0; i < b; i++) {
    const index = src.start + i;
    if (!wanted.has(index)) continue;
    const predictionAtK: Record<string, number> = {};
    if (heur) opts.ks.forEach((k, ki) => (predictionAtK[String(k)] = heur[ki * b + i] as number));
    const layers = out.layers.map((a, l) => {
      const { m, n, p, combine, dispatch } = a;
      const scores = Array.from((out.scores[l] as Float64Array).subarray(i * n, (i + 1) * n));
      const comb: number[][] = [];
      const disp: number[][] = Array.from({ length: n }, () => new Array<number>(m).fill(0));
      for (let t = 0; t < m; t++) {
        const row = new Array<number>(n).fill(0);
        for (let e = 0; e < n; e++) {
          let cs = 0;
          let ds = 0;
          for (let s = 0; s < p; s++) {
            const o = ((i * m + t) * n + e) * p + s;
            cs += combine[o] as number;
            ds += dispatch[o] as number;
          }
          row[e] = round6(cs);
          (disp[e] as number[])[t] = round6(ds);
        }
        comb.push(row);
      }
      return {
        layer: info.moeLayers[l]?.name ?? String(l),
        ranking: Array.from(rankDescending(scores)),
        scores: scores.map(round6),
        combine: comb,
        dispatch: disp,
      };
    });
    const bytes = new Uint8Array(px);
    for (let j = 0; j < px; j++) bytes[j] = Math.round(Math.min(1, Math.max(0, src.x[i * px + j] as number)) * 255);
    records.push({
      index,
      label: src.labels[i] as number,
      prediction: out.fullPred[i] as number,
      predictionAtK,
      layers,
      image: { height: h, width: w, channels: ch, data: Buffer.from(bytes).toString('base64') },
      tokenGrid: { ...info.tokenGrid },
    });
  }
  return records;
}
