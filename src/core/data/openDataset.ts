/**
 * Open a dataset by what the path holds:
 *   - `a,b`                  an explicit images,labels pair (IDX files or .npy files)
 *   - a `.npz` file          numpy arrays x/y (images/labels, inputs/targets; `_train`/`_test` suffixes)
 *   - a `.npy` file          images, with the labels .npy beside it
 *   - a `.bin` file          one CIFAR batch (CIFAR-100 if named train.bin/test.bin)
 *   - any other file         an IDX images file (raw or gzipped), labels beside it
 *   - a folder with IDX files (train-*, t10k-*), CIFAR batches, a cifar-10-batches-bin / cifar-100-binary subfolder,
 *     one .npz, a .npy pair, or class subfolders of PNG/JPEG images.
 *
 * Two steps: `locateDataset` decides the format and the files (names only, nothing is read), `openLocated` opens
 * them. `datasetInputFiles` lists every file a dataset reads (class lists included, present or not), so a run's
 * identity can stamp exactly the files its result depends on.
 */
import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createDataset, validateLimit, type FormattedDataset } from './createDataset';
import { datasetError } from './datasetError';
import { pathKind } from './fsUtil';
import { cifarKindOfFile, findCifarFiles, openCifarDataset, type CifarKind } from './openCifar';
import { findIdxLabels, findIdxPair, openIdxDataset } from './openIdx';
import { listImageFolder, openImageFolder } from './openImageFolder';
import { findNpyLabels, findNpyPair, openNpyPairDataset, openNpzDataset } from './openNumpy';
import type { OpenDatasetOptions } from './types';

/** Where a dataset's files are, and in which format (`displayPath` is the path the user gave). */
export type DatasetLocation =
  | { format: 'idx'; images: string; labels: string; displayPath: string }
  | { format: 'cifar'; files: string[]; kind: CifarKind; displayPath: string }
  | { format: 'npz'; file: string; displayPath: string }
  | { format: 'npy'; images: string; labels: string; displayPath: string }
  | { format: 'image-folder'; dir: string; displayPath: string };

export async function openDataset(path: string, opts: OpenDatasetOptions = {}): Promise<FormattedDataset> {
  validateLimit(opts.limit);
  checkGeometry(opts);
  const split = splitOf(opts);
  return openLocated(await locateDataset(path, split), split, opts);
}

function splitOf(opts: { split?: 'train' | 'test' }): 'train' | 'test' {
  const split = opts.split ?? 'test';
  if (split !== 'test' && split !== 'train') throw datasetError(`unknown split '${String(split)}'; use test or train`);
  return split;
}

/** Decide what `path` holds for `split`: the format and its files. Reads folder listings only. */
export async function locateDataset(path: string, split: 'train' | 'test'): Promise<DatasetLocation> {
  const kind = await pathKind(path);
  if (!kind && path.includes(',')) return locatePair(path);
  if (!kind) throw datasetError(`dataset path ${path} does not exist`);
  if (kind === 'other') throw datasetError(`dataset path ${path} is not a regular file or a folder (a FIFO or a device?)`);
  if (kind === 'file') return locateFile(path);
  return locateFolder(path, path, split);
}

export async function openLocated(loc: DatasetLocation, split: 'train' | 'test', opts: OpenDatasetOptions): Promise<FormattedDataset> {
  switch (loc.format) {
    case 'idx': return openIdxDataset(loc.images, loc.labels, split, loc.displayPath, opts);
    case 'cifar': return openCifarDataset(loc.files, loc.kind, split, loc.displayPath, opts);
    case 'npz': return openNpzDataset(loc.file, split, opts);
    case 'npy': return openNpyPairDataset(loc.images, loc.labels, split, loc.displayPath, opts);
    case 'image-folder': return openImageFolder(loc.dir, split, loc.displayPath, opts);
  }
}

/**
 * Every file the dataset at `path` reads for `split`, in a fixed order: the data files and each class-list file the
 * reader looks for (which may not exist). An image folder lists every image.
 */
export async function datasetInputFiles(path: string, split: 'train' | 'test' = 'test'): Promise<string[]> {
  const loc = await locateDataset(path, splitOf({ split }));
  switch (loc.format) {
    case 'idx': return [loc.images, loc.labels, join(dirname(loc.images), 'classes.txt')];
    case 'cifar': {
      const dir = dirname(loc.files[0] as string);
      return [...loc.files, join(dir, 'batches.meta.txt'), join(dir, 'fine_label_names.txt')];
    }
    case 'npz': return [loc.file, join(dirname(loc.file), 'classes.txt')];
    case 'npy': return [loc.images, loc.labels, join(dirname(loc.images), 'classes.txt')];
    case 'image-folder': return (await listImageFolder(loc.dir, split)).files;
  }
}

async function locatePair(path: string): Promise<DatasetLocation> {
  const parts = path.split(',').map((s) => s.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw datasetError(`${path}: give a pair as images,labels`);
  for (const p of parts) if ((await pathKind(p)) !== 'file') throw datasetError(`dataset file ${p} does not exist or is not a regular file`);
  const [images, labels] = parts as [string, string];
  return /\.npy$/i.test(images) ? { format: 'npy', images, labels, displayPath: path } : { format: 'idx', images, labels, displayPath: path };
}

async function locateFile(path: string): Promise<DatasetLocation> {
  if (/\.npz$/i.test(path)) return { format: 'npz', file: path, displayPath: path };
  if (/\.npy$/i.test(path)) return { format: 'npy', images: path, labels: await findNpyLabels(path), displayPath: path };
  if (/\.bin$/i.test(path)) return { format: 'cifar', files: [path], kind: await cifarKindOfFile(path), displayPath: path };
  return { format: 'idx', images: path, labels: await findIdxLabels(path), displayPath: path };
}

async function locateFolder(dir: string, displayPath: string, split: 'train' | 'test'): Promise<DatasetLocation> {
  const idx = await findIdxPair(dir, split);
  if (idx) return { format: 'idx', ...idx, displayPath };
  const cifar = await findCifarFiles(dir, split);
  if (cifar) return { format: 'cifar', ...cifar, displayPath };
  const names = await readdir(dir);
  for (const sub of ['cifar-10-batches-bin', 'cifar-100-binary']) {
    if (names.includes(sub) && (await pathKind(join(dir, sub))) === 'dir') return locateFolder(join(dir, sub), displayPath, split);
  }
  const npz = names.filter((n) => /\.npz$/i.test(n));
  if (npz.length === 1) return { format: 'npz', file: join(dir, npz[0] as string), displayPath: join(dir, npz[0] as string) };
  if (npz.length > 1) throw datasetError(`${dir} holds several .npz files (${npz.join(', ')}); name the one to use`);
  const npy = await findNpyPair(dir, split);
  if (npy) return { format: 'npy', ...npy, displayPath };
  const hasSubdirs = (await readdir(dir, { withFileTypes: true })).some((e) => e.isDirectory() && !e.name.startsWith('.'));
  if (hasSubdirs) return { format: 'image-folder', dir, displayPath };
  throw datasetError(`${dir} holds no dataset we read: IDX files, CIFAR batches, .npz/.npy arrays, or one subfolder of images per class`);
}

function checkGeometry(opts: OpenDatasetOptions): void {
  const g = opts.image;
  if (!g) return;
  const ok = (v: number): boolean => Number.isInteger(v) && v > 0;
  if (!ok(g.size[0]) || !ok(g.size[1])) throw datasetError(`image size must be positive whole numbers, got ${g.size.join('×')}`);
  if (g.channels !== 1 && g.channels !== 3) throw datasetError(`image channels must be 1 or 3, got ${g.channels}`);
  if (g.cropPct !== undefined && !(g.cropPct > 0 && g.cropPct <= 1)) throw datasetError(`crop fraction must be in (0, 1], got ${g.cropPct}`);
}

export { createDataset };
