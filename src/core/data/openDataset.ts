/**
 * Open a dataset by what the path holds:
 *   - `a,b`                  an explicit images,labels pair (IDX files or .npy files)
 *   - a `.npz` file          numpy arrays x/y (images/labels, inputs/targets; `_train`/`_test` suffixes)
 *   - a `.npy` file          images, with the labels .npy beside it
 *   - a `.bin` file          one CIFAR batch (CIFAR-100 if named train.bin/test.bin)
 *   - any other file         an IDX images file (raw or gzipped), labels beside it
 *   - a folder with IDX files (train-*, t10k-*), CIFAR batches, a cifar-10-batches-bin / cifar-100-binary subfolder,
 *     one .npz, a .npy pair, or class subfolders of PNG/JPEG images.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createDataset, validateLimit, type FormattedDataset } from './createDataset';
import { datasetError } from './datasetError';
import { pathKind } from './fsUtil';
import { cifarKindOfFile, findCifarFiles, openCifarDataset } from './openCifar';
import { findIdxLabels, findIdxPair, openIdxDataset } from './openIdx';
import { openImageFolder } from './openImageFolder';
import { findNpyLabels, findNpyPair, openNpyPairDataset, openNpzDataset } from './openNumpy';
import type { OpenDatasetOptions } from './types';

export async function openDataset(path: string, opts: OpenDatasetOptions = {}): Promise<FormattedDataset> {
  validateLimit(opts.limit);
  checkGeometry(opts);
  const split = opts.split ?? 'test';
  if (split !== 'test' && split !== 'train') throw datasetError(`unknown split '${String(split)}'; use test or train`);
  const kind = await pathKind(path);
  if (!kind && path.includes(',')) return openPair(path, split, opts);
  if (!kind) throw datasetError(`dataset path ${path} does not exist`);
  if (kind === 'file') return openFile(path, split, opts);
  return openFolder(path, path, split, opts);
}

async function openPair(path: string, split: 'train' | 'test', opts: OpenDatasetOptions): Promise<FormattedDataset> {
  const parts = path.split(',').map((s) => s.trim());
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw datasetError(`${path}: give a pair as images,labels`);
  for (const p of parts) if ((await pathKind(p)) !== 'file') throw datasetError(`dataset file ${p} does not exist`);
  const [images, labels] = parts;
  if (/\.npy$/i.test(images)) return openNpyPairDataset(images, labels, split, path, opts);
  return openIdxDataset(images, labels, split, path, opts);
}

async function openFile(path: string, split: 'train' | 'test', opts: OpenDatasetOptions): Promise<FormattedDataset> {
  if (/\.npz$/i.test(path)) return openNpzDataset(path, split, opts);
  if (/\.npy$/i.test(path)) return openNpyPairDataset(path, await findNpyLabels(path), split, path, opts);
  if (/\.bin$/i.test(path)) return openCifarDataset([path], await cifarKindOfFile(path), split, path, opts);
  return openIdxDataset(path, await findIdxLabels(path), split, path, opts);
}

async function openFolder(dir: string, displayPath: string, split: 'train' | 'test', opts: OpenDatasetOptions): Promise<FormattedDataset> {
  const idx = await findIdxPair(dir, split);
  if (idx) return openIdxDataset(idx.images, idx.labels, split, displayPath, opts);
  const cifar = await findCifarFiles(dir, split);
  if (cifar) return openCifarDataset(cifar.files, cifar.kind, split, displayPath, opts);
  const names = await readdir(dir);
  for (const sub of ['cifar-10-batches-bin', 'cifar-100-binary']) {
    if (names.includes(sub) && (await pathKind(join(dir, sub))) === 'dir') return openFolder(join(dir, sub), displayPath, split, opts);
  }
  const npz = names.filter((n) => /\.npz$/i.test(n));
  if (npz.length === 1) return openNpzDataset(join(dir, npz[0]), split, opts);
  if (npz.length > 1) throw datasetError(`${dir} holds several .npz files (${npz.join(', ')}); name the one to use`);
  const npy = await findNpyPair(dir, split);
  if (npy) return openNpyPairDataset(npy.images, npy.labels, split, displayPath, opts);
  const hasSubdirs = (await readdir(dir, { withFileTypes: true })).some((e) => e.isDirectory() && !e.name.startsWith('.'));
  if (hasSubdirs) return openImageFolder(dir, split, displayPath, opts);
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
