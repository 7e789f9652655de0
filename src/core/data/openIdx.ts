/**
 * IDX datasets (MNIST, Fashion-MNIST, …): a folder holding `train-*` and `t10k-*` image and label files, raw or
 * gzipped; an images file with its labels file beside it; or an explicit `images,labels` pair.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FASHION_MNIST_CLASSES, classNamesFor } from './classNames';
import { createDataset, type FormattedDataset } from './createDataset';
import { datasetError } from './datasetError';
import { fileExists, readClassList } from './fsUtil';
import { openIdxFile, type IdxFile } from './idxFile';
import type { OpenDatasetOptions } from './types';

const SPLIT_TOKENS = { test: /(^|[^a-z])(t10k|test)/i, train: /(^|[^a-z])train/i };

/** The images and labels files of `split` inside `dir`, if it holds IDX files. */
export async function findIdxPair(dir: string, split: 'train' | 'test'): Promise<{ images: string; labels: string } | undefined> {
  const names = (await readdir(dir)).sort();
  const pick = (kind: RegExp): string | undefined => {
    const hits = names.filter((n) => kind.test(n) && SPLIT_TOKENS[split].test(n));
    return hits.find((n) => !n.endsWith('.gz')) ?? hits[0]; // raw files read by offset: prefer them
  };
  const images = pick(/idx3/i);
  const labels = pick(/idx1/i);
  if (!images && !labels) {
    if (names.some((n) => /idx[13]/i.test(n))) {
      throw datasetError(`${dir} holds IDX files but none for the ${split} split (expected names like ${split === 'test' ? 't10k' : 'train'}-images-idx3-ubyte.gz)`);
    }
    return undefined;
  }
  if (!images) throw datasetError(`${dir} has an IDX labels file for the ${split} split but no images file (…-images-idx3-ubyte)`);
  if (!labels) throw datasetError(`${dir} has ${images} but no labels file for it (…-labels-idx1-ubyte)`);
  return { images: join(dir, images), labels: join(dir, labels) };
}

/** The labels file beside an images file: 'images'→'labels', 'idx3'→'idx1', gzipped or not. */
export async function findIdxLabels(imagesPath: string): Promise<string> {
  const base = basename(imagesPath);
  const guess = base.replace(/images/i, 'labels').replace(/idx3/i, 'idx1');
  const stem = guess.replace(/\.gz$/i, '');
  for (const name of [guess, stem, `${stem}.gz`]) {
    if (name !== base && (await fileExists(join(dirname(imagesPath), name)))) return join(dirname(imagesPath), name);
  }
  throw datasetError(`no labels file beside ${imagesPath} (looked for ${stem}[.gz]); give both as images,labels`);
}

export async function openIdxDataset(
  imagesPath: string,
  labelsPath: string,
  split: 'train' | 'test',
  displayPath: string,
  opts: OpenDatasetOptions,
): Promise<FormattedDataset> {
  const images = await openIdxFile(imagesPath);
  let labels: IdxFile | undefined;
  try {
    labels = await openIdxFile(labelsPath);
    const [n, h, w, c = 1] = images.dims;
    if (images.dims.length < 3) throw datasetError(`${basename(imagesPath)} is an IDX file of ${images.dims.length} dimension(s), not images [N, H, W]`);
    if (c !== 1 && c !== 3) throw datasetError(`${basename(imagesPath)} has ${c} channels; expected 1 or 3`);
    if (labels.dims.length !== 1) throw datasetError(`${basename(labelsPath)} is not an IDX labels file: it has ${labels.dims.length} dimensions, expected 1`);
    if (labels.dims[0] !== n) {
      throw datasetError(`count mismatch: ${basename(imagesPath)} has ${n} images but ${basename(labelsPath)} has ${labels.dims[0]} labels`);
    }
    const maxLabel = await scanMaxLabel(labels);
    // Known datasets by the folder's (or file's) name: /usr/share/datasets/fashion-mnist, ~/data/MNIST/raw, …
    const where = `${basename(dirname(dirname(imagesPath)))}/${basename(dirname(imagesPath))}/${basename(imagesPath)}`;
    const kind = /fashion/i.test(where) ? 'fashion-mnist' : /mnist/i.test(where) ? 'mnist' : undefined;
    const numClasses = Math.max(maxLabel + 1, kind ? 10 : 0);
    const listed = await readClassList(dirname(imagesPath));
    const classNames = classNamesFor(listed ?? (kind === 'fashion-mnist' ? FASHION_MNIST_CLASSES : undefined), numClasses);
    const lab = labels;
    return createDataset(
      {
        name: `${kind ?? basename(dirname(imagesPath))} (${split})`,
        path: displayPath,
        format: 'idx',
        split,
        count: n,
        shape: [h, w, c],
        numClasses,
        classNames,
        async *read(start, end, maxCount) {
          const xs = images.records.runs(start, end, maxCount)[Symbol.asyncIterator]();
          const ys = lab.records.runs(start, end, maxCount)[Symbol.asyncIterator]();
          try {
            for (;;) {
              const [xr, yr] = await Promise.all([xs.next(), ys.next()]);
              if (xr.done || yr.done) break;
              const x = new Float32Array(xr.value.length);
              for (let i = 0; i < x.length; i++) x[i] = xr.value[i] / 255;
              yield { x, y: Int32Array.from(yr.value) };
            }
          } finally {
            await Promise.all([xs.return?.(), ys.return?.()]);
          }
        },
        close: async () => {
          await Promise.all([images.close(), lab.close()]);
        },
      },
      opts,
    );
  } catch (err) {
    await Promise.all([images.close(), labels?.close()]);
    throw err;
  }
}

async function scanMaxLabel(labels: IdxFile): Promise<number> {
  let max = -1;
  for await (const run of labels.records.runs(0, labels.records.count, 64 * 1024)) {
    for (let i = 0; i < run.length; i++) if (run[i] > max) max = run[i];
  }
  return max;
}
