/**
 * The one `Dataset` implementation behind every format: a format supplies its metadata and a reader of
 * examples [start, end) in groups; this adds `limit`, shard bounds, label checks, optional resizing to a model's
 * geometry, and cancellation between batches.
 */
import { SoftMoeError, throwIfAborted } from '../errors';
import { datasetError } from './datasetError';
import { fitImage, type ImageGeometry } from './fitImage';
import type { Batch, Dataset, DatasetFormat, OpenDatasetOptions } from './types';

export interface ExampleGroup {
  /** Images [count, h, w, c] in the reader's own shape, float 0–1. */
  x: Float32Array;
  y: Int32Array;
}

export interface DatasetParts {
  name: string;
  path: string;
  format: DatasetFormat;
  split: 'train' | 'test';
  /** Examples in the source, before `limit`. */
  count: number;
  /** [h, w, c] of what `read` yields. */
  shape: [number, number, number];
  /** `read` already resamples images to `shape` (image folders). */
  resized?: boolean;
  numClasses: number;
  classNames: string[];
  /** Examples [start, end) in groups of exactly min(maxCount, remaining). */
  read(start: number, end: number, maxCount: number): AsyncIterable<ExampleGroup>;
  close(): Promise<void>;
}

/** A `Dataset` with the format it was read from (callers may show it). */
export interface FormattedDataset extends Dataset {
  format: DatasetFormat;
}

export function validateLimit(limit: number | undefined): void {
  if (limit === undefined) return;
  if (!Number.isInteger(limit) || limit <= 0) {
    throw datasetError(`--limit must be a positive whole number of examples, got ${limit}`);
  }
}

export function createDataset(parts: DatasetParts, opts: OpenDatasetOptions = {}): FormattedDataset {
  validateLimit(opts.limit);
  const numExamples = opts.limit === undefined ? parts.count : Math.min(parts.count, opts.limit);
  const geometry = needsFit(parts.shape, opts.image) ? opts.image : undefined;
  const shape: [number, number, number] = geometry ? [geometry.size[0], geometry.size[1], geometry.channels] : parts.shape;
  const label = `${parts.path}`;
  return {
    name: parts.name,
    path: parts.path,
    format: parts.format,
    split: parts.split,
    numExamples,
    sourceExamples: parts.count,
    shape,
    ...(parts.resized || (geometry && (parts.shape[0] !== shape[0] || parts.shape[1] !== shape[1])) ? { resized: true } : {}),
    numClasses: parts.numClasses,
    classNames: parts.classNames,
    async *batches(batchSize: number, bopts: { start?: number; end?: number; signal?: AbortSignal } = {}): AsyncIterable<Batch> {
      if (!Number.isInteger(batchSize) || batchSize <= 0) {
        throw new SoftMoeError('E_USAGE', `batch size must be a positive whole number, got ${batchSize}`);
      }
      const start = bopts.start ?? 0;
      const end = Math.min(bopts.end ?? numExamples, numExamples);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end) {
        throw new SoftMoeError('E_USAGE', `bad example range [${start}, ${end}) for ${label} (${numExamples} examples)`);
      }
      throwIfAborted(bopts.signal);
      let at = start;
      for await (const g of parts.read(start, end, batchSize)) {
        const size = g.y.length;
        checkLabels(g.y, parts.numClasses, at, label);
        const x = geometry ? fitGroup(g.x, size, parts.shape, geometry, label, at) : g.x;
        yield { x, y: g.y, size, start: at };
        at += size;
        throwIfAborted(bopts.signal);
      }
    },
    close: () => parts.close(),
  };
}

function needsFit(shape: [number, number, number], g: ImageGeometry | undefined): boolean {
  if (!g) return false;
  return shape[0] !== g.size[0] || shape[1] !== g.size[1] || shape[2] !== g.channels;
}

function fitGroup(x: Float32Array, n: number, [h, w, c]: [number, number, number], g: ImageGeometry, label: string, first: number): Float32Array {
  const inStride = h * w * c;
  const outStride = g.size[0] * g.size[1] * g.channels;
  const out = new Float32Array(n * outStride);
  const sameSize = h === g.size[0] && w === g.size[1];
  for (let i = 0; i < n; i++) {
    const img = { data: x.subarray(i * inStride, (i + 1) * inStride), height: h, width: w, channels: c };
    // Only the channels differ: convert them, do not resample (a crop would change the pixels for nothing).
    const where = `${label}: example ${first + i}`;
    const fitted = sameSize ? fitImage(img, { ...g, cropPct: 1 }, where) : fitImage(img, g, where);
    out.set(fitted, i * outStride);
  }
  return out;
}

function checkLabels(y: Int32Array, numClasses: number, at: number, label: string): void {
  for (let i = 0; i < y.length; i++) {
    if (y[i] < 0 || y[i] >= numClasses) {
      throw datasetError(`${label}: label ${y[i]} of example ${at + i} is outside 0..${numClasses - 1}`);
    }
  }
}
