/** The small matrices the checkpoint editor draws, computed from Float32 tensors (pure, no I/O). */
import type { MatrixView } from '../core/protocol/checkpointSummary';
import type { RouterAxes } from '../core/model/detectedLayer';

/** Φ as [d, n·p] (one column per slot, expert-major) from any router layout. */
export function routerToSlots(data: Float32Array, shape: number[], axes: Exclude<RouterAxes, 'dynamic'>): { d: number; slots: number; values: Float32Array } {
  if (axes === 'dn' || axes === 'dnp') {
    const d = shape[0];
    const slots = shape.slice(1).reduce((a, b) => a * b, 1);
    return { d, slots, values: data };
  }
  // [n, p, d] → [d, n·p]
  const slots = shape[0] * shape[1];
  const d = shape[2];
  const out = new Float32Array(d * slots);
  for (let s = 0; s < slots; s++) for (let i = 0; i < d; i++) out[i * slots + s] = data[s * d + i];
  return { d, slots, values: out };
}

/** Average rows in groups so at most `maxRows` remain (a 768-dim Φ becomes a readable heatmap). */
export function downsampleRows(values: Float32Array, rows: number, cols: number, maxRows: number): MatrixView {
  const groups = Math.min(rows, Math.max(1, maxRows));
  const out: number[] = new Array(groups * cols).fill(0);
  for (let g = 0; g < groups; g++) {
    const r0 = Math.floor((g * rows) / groups);
    const r1 = Math.floor(((g + 1) * rows) / groups);
    for (let r = r0; r < r1; r++) for (let c = 0; c < cols; c++) out[g * cols + c] += values[r * cols + c] / (r1 - r0);
  }
  return { rows: groups, cols, values: out.map(round4), sourceRows: rows };
}

/** cols × cols cosine similarity between the columns of a [rows, cols] matrix. */
export function columnCosine(values: Float32Array, rows: number, cols: number): MatrixView {
  const norms = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) norms[c] += values[r * cols + c] ** 2;
  for (let c = 0; c < cols; c++) norms[c] = Math.sqrt(norms[c]);
  const out: number[] = new Array(cols * cols).fill(0);
  for (let a = 0; a < cols; a++) {
    for (let b = a; b < cols; b++) {
      let dot = 0;
      for (let r = 0; r < rows; r++) dot += values[r * cols + a] * values[r * cols + b];
      const v = norms[a] > 0 && norms[b] > 0 ? dot / (norms[a] * norms[b]) : 0;
      out[a * cols + b] = out[b * cols + a] = round4(v);
    }
  }
  return { rows: cols, cols, values: out, sourceRows: cols };
}

/** Sum of squares of a slice (for Frobenius norms accumulated over an expert's tensors). */
export function sumSquares(data: Float32Array, start = 0, end = data.length): number {
  let s = 0;
  for (let i = start; i < end; i++) s += data[i] * data[i];
  return s;
}

function round4(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
