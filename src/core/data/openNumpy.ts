/**
 * numpy datasets: an `.npz` holding images and labels (x/y, images/labels or inputs/targets, optionally with a
 * `_train`/`_test` suffix as in Keras' mnist.npz), or a pair of `.npy` files (given as `x.npy,y.npy`, found in a
 * folder, or the labels found beside the images file). Layout rules are in npyLayout.ts.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ByteSource } from '../io/types';
import { classNamesFor } from './classNames';
import { createDataset, type FormattedDataset } from './createDataset';
import { datasetError } from './datasetError';
import { fileExists, readClassList } from './fsUtil';
import { MAX_CLASSES } from './limits';
import { openNpyFile, openNpzFile, type NpyArray } from './npyArray';
import { checkLabelShape, decodeImages, decodeLabels, imageLayout } from './npyLayout';
import type { OpenDatasetOptions } from './types';

const IMAGE_NAMES = ['x', 'images', 'inputs', 'data'];
const LABEL_NAMES = ['y', 'labels', 'targets'];

/** The array names to try for `split`, suffixed ones first. */
function candidates(bases: string[], split: string): string[] {
  return [...bases.flatMap((b) => [`${b}_${split}`, `${split}_${b}`]), ...bases];
}

function pickName(names: string[], bases: string[], split: string): string | undefined {
  const lower = new Map(names.map((n) => [n.toLowerCase(), n]));
  for (const c of candidates(bases, split)) if (lower.has(c)) return lower.get(c);
  return undefined;
}

export async function openNpzDataset(path: string, split: 'train' | 'test', opts: OpenDatasetOptions): Promise<FormattedDataset> {
  const npz = await openNpzFile(path);
  try {
    const xName = pickName(npz.names, IMAGE_NAMES, split);
    const yName = pickName(npz.names, LABEL_NAMES, split);
    const have = npz.names.join(', ') || 'none';
    if (!xName) throw datasetError(`${basename(path)} has no images array for the ${split} split (looked for x, images, inputs, with _${split}); it has: ${have}`);
    if (!yName) throw datasetError(`${basename(path)} has no labels array for the ${split} split (looked for y, labels, targets, with _${split}); it has: ${have}`);
    const images = await npz.open(xName);
    const labels = await npz.open(yName);
    return await numpyDataset(images, labels, split, path, 'npz', basename(path, '.npz'), dirname(path), () => npz.close(), opts);
  } catch (err) {
    await npz.close();
    throw err;
  }
}

/** Find an images/labels pair of .npy files in `dir` for `split`, if there is one. */
export async function findNpyPair(dir: string, split: 'train' | 'test'): Promise<{ images: string; labels: string } | undefined> {
  const names = (await readdir(dir)).filter((n) => n.toLowerCase().endsWith('.npy')).map((n) => n.slice(0, -4));
  if (!names.length) return undefined;
  const x = pickName(names, IMAGE_NAMES, split);
  const y = pickName(names, LABEL_NAMES, split);
  if (!x || !y) throw datasetError(`${dir} holds .npy files but no images/labels pair for the ${split} split (e.g. x_${split}.npy and y_${split}.npy)`);
  return { images: join(dir, `${x}.npy`), labels: join(dir, `${y}.npy`) };
}

/** The labels .npy beside an images .npy: x→y, images→labels, inputs→targets, data→labels. */
export async function findNpyLabels(imagesPath: string): Promise<string> {
  const base = basename(imagesPath);
  const swaps: Array<[RegExp, string]> = [
    [/(^|[_-])x([_.-])/i, '$1y$2'],
    [/images/i, 'labels'],
    [/inputs/i, 'targets'],
    [/(^|[_-])data([_.-])/i, '$1labels$2'],
  ];
  for (const [re, to] of swaps) {
    const name = base.replace(re, to);
    if (name !== base && (await fileExists(join(dirname(imagesPath), name)))) return join(dirname(imagesPath), name);
  }
  throw datasetError(`no labels file beside ${imagesPath} (looked for y/labels/targets in place of x/images/inputs); give both as images.npy,labels.npy`);
}

export async function openNpyPairDataset(imagesPath: string, labelsPath: string, split: 'train' | 'test', displayPath: string, opts: OpenDatasetOptions): Promise<FormattedDataset> {
  const sources: ByteSource[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(sources.map((s) => s.close()));
  };
  try {
    const images = await openNpyFile(imagesPath);
    sources.push(images.source);
    const labels = await openNpyFile(labelsPath);
    sources.push(labels.source);
    return await numpyDataset(images.array, labels.array, split, displayPath, 'npy', basename(dirname(imagesPath)), dirname(imagesPath), closeAll, opts);
  } catch (err) {
    await closeAll();
    throw err;
  }
}

async function numpyDataset(
  images: NpyArray,
  labels: NpyArray,
  split: 'train' | 'test',
  displayPath: string,
  format: 'npy' | 'npz',
  name: string,
  dir: string,
  close: () => Promise<void>,
  opts: OpenDatasetOptions,
): Promise<FormattedDataset> {
  const layout = imageLayout(images.label, images.header);
  const width = checkLabelShape(labels.label, labels.header);
  const n = images.records.count;
  if (labels.records.count !== n) {
    throw datasetError(`count mismatch: ${images.label} has ${n} images but ${labels.label} has ${labels.records.count} labels`);
  }
  // One bounded pass over the labels (8 bytes an example at most) to validate them and count the classes.
  let max = -1;
  let at = 0;
  for await (const run of labels.records.runs(0, n, 16384)) {
    const count = run.length / labels.records.recordBytes;
    const y = decodeLabels(labels.label, run, labels.header, count, width, at);
    for (const v of y) if (v > max) max = v;
    at += count;
  }
  const numClasses = Math.max(max + 1, width > 1 ? width : 0);
  if (numClasses > MAX_CLASSES) {
    throw datasetError(`${labels.label}: ${width > 1 ? `one-hot labels of width ${width}` : `label ${max}`} would make ${numClasses.toLocaleString('en-US')} classes, more than the ${MAX_CLASSES.toLocaleString('en-US')} a dataset may have`);
  }
  const classNames = classNamesFor(await readClassList(dir), numClasses);
  return createDataset(
    {
      name: `${name} (${split})`,
      path: displayPath,
      format,
      split,
      count: n,
      shape: layout.shape,
      numClasses,
      classNames,
      async *read(start, end, maxCount) {
        const xs = images.records.runs(start, end, maxCount)[Symbol.asyncIterator]();
        const ys = labels.records.runs(start, end, maxCount)[Symbol.asyncIterator]();
        let first = start;
        try {
          for (;;) {
            const [xr, yr] = await Promise.all([xs.next(), ys.next()]);
            if (xr.done || yr.done) break;
            const count = yr.value.length / labels.records.recordBytes;
            yield { x: decodeImages(xr.value, images.header, layout, count), y: decodeLabels(labels.label, yr.value, labels.header, count, width, first) };
            first += count;
          }
        } finally {
          await Promise.all([xs.return?.(), ys.return?.()]);
        }
      },
      close,
    },
    opts,
  );
}
