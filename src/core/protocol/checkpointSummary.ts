/**
 * What the checkpoint editor shows: a plain-data summary of one checkpoint, computed in the worker from the core's
 * reader and layer detection, sent to the webview. Pure types only (the webview imports this file).
 */
import type { LayerInfo } from '../analysis/schema';

export interface TensorRow {
  name: string;
  dtype: string;
  shape: number[];
  byteLength: number;
  /** A meta tensor: shape and dtype saved, no data. */
  meta?: boolean;
}

/** A small matrix for drawing: row-major values, with the labels of what was kept when it was downsampled. */
export interface MatrixView {
  rows: number;
  cols: number;
  /** rows × cols values, row-major. */
  values: number[];
  /** Original row count before downsampling (rows were averaged in groups). */
  sourceRows: number;
}

export interface LayerSummary extends LayerInfo {
  /** Φ as [dim (downsampled), numExperts·slotsPerExpert]: one column per slot. Null when the layout stores none. */
  phi: MatrixView | null;
  /** slots × slots cosine similarity of the slot vectors (columns of Φ). */
  slotCosine: MatrixView | null;
  /** Per expert: Frobenius norm of each of its weight matrices, summed in quadrature. */
  expertNorms: number[];
  /** Why `expertNorms` is empty when it is (e.g. the experts are too large to read when the editor opens). */
  expertNormsNote?: string;
}

export interface CheckpointSummary {
  path: string;
  name: string;
  format: string;
  fileSize: number;
  parameterCount: number;
  /** Architecture found by layer detection ('' when none). */
  architecture: string;
  /** Why no architecture was found, when none was (one line). */
  detectionNote: string | null;
  tensors: TensorRow[];
  /** True when the table was cut at `maxTensorRows` (the count is in `tensorCount`). */
  tensorsTruncated: boolean;
  tensorCount: number;
  metadata: Record<string, string>;
  layers: LayerSummary[];
}
