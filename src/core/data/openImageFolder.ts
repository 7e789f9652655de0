/**
 * An image folder as torchvision's ImageFolder reads it: one subfolder per class (sorted names → class ids 0, 1, …),
 * PNG and JPEG files inside (searched recursively, sorted). For the test split a `test/`, `val/` or `validation/`
 * subfolder is used when present; for train a `train/` one. Only file paths are listed at open; each batch reads
 * and decodes its own files. With `opts.image`, every image goes through the timm eval transform (fitImage.ts);
 * without it, every image must have the first one's size, and channels follow the first image.
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createDataset, type FormattedDataset } from './createDataset';
import { datasetError } from './datasetError';
import { decodeImage, isImageFile } from './decodeImage';
import { convertChannels, fitImage } from './fitImage';
import { SoftMoeError } from '../errors';
import { readFileCapped } from '../io/fileSource';
import { MAX_CLASSES, MAX_IMAGE_FILE_BYTES } from './limits';
import type { OpenDatasetOptions } from './types';

const SPLIT_DIRS = { test: ['test', 'val', 'validation'], train: ['train'] };

async function subdirs(dir: string): Promise<string[]> {
  return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
}

/** The folder whose subfolders are the classes, for `split`. */
export async function imageFolderRoot(dir: string, split: 'train' | 'test'): Promise<string> {
  const subs = await subdirs(dir);
  const hit = SPLIT_DIRS[split].find((s) => subs.includes(s));
  if (hit) return join(dir, hit);
  const other = SPLIT_DIRS[split === 'test' ? 'train' : 'test'].find((s) => subs.includes(s));
  if (other) throw datasetError(`${dir} has a ${other}/ folder but no ${SPLIT_DIRS[split].join('/ or ')}/ folder for the ${split} split`);
  return dir;
}

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(...(await listImages(join(dir, e.name))));
    else if (isImageFile(e.name)) out.push(join(dir, e.name));
  }
  return out;
}

/** The class folders and every image of an image-folder dataset for `split` (names only; nothing is decoded). */
export async function listImageFolder(dir: string, split: 'train' | 'test'): Promise<{ root: string; classes: string[]; files: string[]; labels: number[] }> {
  const root = await imageFolderRoot(dir, split);
  const classes = await subdirs(root);
  if (!classes.length) throw datasetError(`${root} has no class subfolders (expected one folder of images per class)`);
  if (classes.length > MAX_CLASSES) throw datasetError(`${root} has ${classes.length} class folders, more than the ${MAX_CLASSES} classes a dataset may have`);
  const files: string[] = [];
  const labels: number[] = [];
  for (const [id, cls] of classes.entries()) {
    const imgs = await listImages(join(root, cls));
    if (!imgs.length) throw datasetError(`class folder ${join(root, cls)} holds no PNG or JPEG images`);
    for (const f of imgs) {
      files.push(f);
      labels.push(id);
    }
  }
  return { root, classes, files, labels };
}

/** One image file's bytes: a regular file (links followed; a FIFO or device refused) of at most MAX_IMAGE_FILE_BYTES. */
async function readImageFile(path: string): Promise<Uint8Array> {
  try {
    return await readFileCapped(path, MAX_IMAGE_FILE_BYTES, 'image');
  } catch (err) {
    if (err instanceof SoftMoeError) throw datasetError(`cannot read image ${err.userMessage}`, err);
    throw err;
  }
}

export async function openImageFolder(dir: string, split: 'train' | 'test', displayPath: string, opts: OpenDatasetOptions): Promise<FormattedDataset> {
  const { classes, files, labels } = await listImageFolder(dir, split);
  const g = opts.image;
  let shape: [number, number, number];
  if (g) {
    shape = [g.size[0], g.size[1], g.channels];
  } else {
    const first = decodeImage(files[0], await readImageFile(files[0]));
    shape = [first.height, first.width, first.channels];
  }
  const stride = shape[0] * shape[1] * shape[2];
  return createDataset(
    {
      name: `${basename(dir)} (${split})`,
      path: displayPath,
      format: 'image-folder',
      split,
      count: files.length,
      shape,
      ...(g ? { resized: true } : {}),
      numClasses: classes.length,
      classNames: classes,
      async *read(start, end, maxCount) {
        for (let i = start; i < end; i += maxCount) {
          const n = Math.min(maxCount, end - i);
          const x = new Float32Array(n * stride);
          for (let k = 0; k < n; k++) {
            const path = files[i + k];
            const img = decodeImage(path, await readImageFile(path));
            if (g) {
              x.set(fitImage(img, g, path), k * stride);
            } else {
              if (img.height !== shape[0] || img.width !== shape[1]) {
                throw datasetError(`image ${path} is ${img.width}×${img.height} but ${basename(files[0])} is ${shape[1]}×${shape[0]}; give an image size to resize them all`);
              }
              x.set(convertChannels(img, shape[2]).data, k * stride);
            }
          }
          yield { x, y: Int32Array.from(labels.slice(i, i + n)) };
        }
      },
      close: async () => undefined,
    },
    // The image geometry was applied per file above; do not apply it again.
    { ...opts, image: undefined },
  );
}
