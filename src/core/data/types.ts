/**
 * Datasets stream labelled images in batches; memory stays bounded by the batch size whatever the dataset size.
 */

export interface Batch {
  /** Images [size, height, width, channels], row-major, float32, values as torchvision's ToTensor gives (0–1). */
  x: Float32Array;
  /** Labels, [size]. */
  y: Int32Array;
  size: number;
  /** Index of the first example of this batch in the dataset (after `limit`/slicing). */
  start: number;
}

/** The file format a dataset was read from. */
export type DatasetFormat = 'idx' | 'cifar' | 'npy' | 'npz' | 'image-folder';

export interface Dataset {
  /** Short display name, e.g. 'fashion-mnist (test)'. */
  name: string;
  /** The format it was read from (set by openDataset; optional so in-memory test datasets need not say). */
  format?: DatasetFormat;
  /** Path the user gave. */
  path: string;
  split: 'train' | 'test';
  /** Number of examples (after `limit`). */
  numExamples: number;
  /** Examples in the split before `limit` (so a result can say "the first N of M"). */
  sourceExamples?: number;
  /** [height, width, channels] of every image as yielded (after any resize / crop). */
  shape: [number, number, number];
  /** True when images are resampled and cropped to `shape` (OpenDatasetOptions.image), not yielded as stored. */
  resized?: boolean;
  numClasses: number;
  /** Class names when the format has them, else '0', '1', … */
  classNames: string[];
  /** Stream examples [start, end) in batches. Honors the AbortSignal between batches. */
  batches(batchSize: number, opts?: { start?: number; end?: number; signal?: AbortSignal }): AsyncIterable<Batch>;
  close(): Promise<void>;
}

export interface OpenDatasetOptions {
  split?: 'train' | 'test';
  /** Keep only the first N examples. */
  limit?: number;
  /** For image folders (and any dataset whose images must be resized for a ViT): the model's input geometry. */
  image?: {
    size: [number, number];
    channels: number;
    /** timm crop_pct: resize the short side to size/crop_pct, then centre-crop `size`. Default 0.875 (timm). */
    cropPct?: number;
    interpolation?: 'bilinear' | 'bicubic' | 'nearest';
  };
}
