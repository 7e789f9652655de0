/**
 * The checkpoint editor's data: the core's header inspection plus, per Soft MoE layer, Φ (downsampled), the
 * cosine similarity between slot vectors and per-expert weight norms. Runs in the worker; reads only the
 * router and expert tensors, and skips the norms of layers whose experts are too large to read quickly.
 */
import { openCheckpoint } from '../core/io/openCheckpoint';
import type { Checkpoint } from '../core/io/types';
import { inspectOpened } from '../core/model/inspectCheckpoint';
import type { InspectLayer } from '../core/model/inspectCheckpoint';
import { expertTensorNames } from '../core/model/expertShapes';
import type { CheckpointSummary, LayerSummary } from '../core/protocol/checkpointSummary';
import { formatBytes } from '../core/report/units';
import { columnCosine, downsampleRows, routerToSlots, sumSquares } from './summaryMath';

/** Rows of the tensor table sent to the webview (it filters them; huge checkpoints are cut here). */
export const MAX_TENSOR_ROWS = 20_000;
/** Φ heatmaps keep at most this many rows (averaged groups). */
export const MAX_PHI_ROWS = 64;
/** Expert tensors above this many bytes per layer are not read for norms. */
export const MAX_NORM_BYTES = 256 * 1024 * 1024;
/** Slot cosine matrices are drawn only up to this many slots. */
export const MAX_COSINE_SLOTS = 256;

async function expertNorms(ckpt: Checkpoint, l: InspectLayer): Promise<{ norms: number[]; note?: string }> {
  const names = expertTensorNames(l.experts);
  const bytes = names.reduce((s, n) => s + (ckpt.tensors.get(n)?.numel ?? 0) * 4, 0);
  if (bytes > MAX_NORM_BYTES) {
    return { norms: [], note: `Not drawn: this layer's expert weights are ${formatBytes(bytes)} as float32, more than the ${formatBytes(MAX_NORM_BYTES)} the editor reads when it opens a file (the analysis reads them all).` };
  }
  const sq = new Float64Array(l.numExperts);
  const e = l.experts;
  if (e.kind === 'per-expert') {
    const groups = [e.fc1, e.fc2, e.fc1Bias ?? [], e.fc2Bias ?? []];
    for (const g of groups) {
      for (let i = 0; i < g.length && i < l.numExperts; i++) {
        const t = ckpt.tensors.get(g[i]);
        if (t) sq[i] += sumSquares(await t.readFloat32());
      }
    }
  } else {
    // Stacked tensors (MLP or fkodom linear experts): expert i is the i-th n-th of each.
    for (const name of names) {
      const t = ckpt.tensors.get(name);
      if (!t) continue;
      const data = await t.readFloat32();
      const per = data.length / l.numExperts;
      for (let i = 0; i < l.numExperts; i++) sq[i] += sumSquares(data, i * per, (i + 1) * per);
    }
  }
  return { norms: [...sq].map((v) => Math.round(Math.sqrt(v) * 1000) / 1000) };
}

async function layerSummary(ckpt: Checkpoint, l: InspectLayer): Promise<LayerSummary> {
  const base = { name: l.name, layout: l.layout, numExperts: l.numExperts, slotsPerExpert: l.slotsPerExpert, dim: l.dim, expertHidden: l.expertHidden };
  const router = ckpt.tensors.get(l.router);
  let phi: LayerSummary['phi'] = null;
  let slotCosine: LayerSummary['slotCosine'] = null;
  // Dynamic slots (lucidrains DynamicSlotsSoftMoE) have no fixed Φ to draw: the router is a projection of the input.
  if (router && l.routerAxes !== 'dynamic') {
    const { d, slots, values } = routerToSlots(await router.readFloat32(), router.shape, l.routerAxes);
    phi = downsampleRows(values, d, slots, MAX_PHI_ROWS);
    if (slots <= MAX_COSINE_SLOTS) slotCosine = columnCosine(values, d, slots);
  }
  const norms = await expertNorms(ckpt, l);
  return { ...base, phi, slotCosine, expertNorms: norms.norms, ...(norms.note ? { expertNormsNote: norms.note } : {}) };
}

export async function buildCheckpointSummary(path: string, signal?: AbortSignal): Promise<CheckpointSummary> {
  const ckpt = await openCheckpoint(path);
  try {
    const report = await inspectOpened(ckpt, { lenient: true });
    const layers: LayerSummary[] = [];
    for (const l of report.softMoeLayers) {
      if (signal?.aborted) break;
      layers.push(await layerSummary(ckpt, l));
    }
    const notes = [...report.problems.map((p) => p.userMessage), ...report.warnings];
    const runnable = report.architecture === 'mnist-softmoe' || report.architecture === 'vit-softmoe';
    return {
      path: report.path,
      name: report.name,
      format: report.format,
      fileSize: report.fileSize,
      parameterCount: report.parameterCount,
      architecture: report.architecture === 'none' ? '' : report.architecture,
      detectionNote: notes[0] ?? (runnable ? null : report.architectureDetail.reason),
      tensors: report.tensors.slice(0, MAX_TENSOR_ROWS).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, byteLength: t.byteLength, ...(t.meta ? { meta: true } : {}) })),
      tensorsTruncated: report.tensors.length > MAX_TENSOR_ROWS,
      tensorCount: report.tensorCount,
      metadata: report.metadata,
      layers,
    };
  } finally {
    await ckpt.close();
  }
}
