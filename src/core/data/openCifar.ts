/**
 * CIFAR binary batches. CIFAR-10: records of 1 label byte + 3072 image bytes (data_batch_1..5.bin for train,
 * test_batch.bin for test, names in batches.meta.txt). CIFAR-100: 1 coarse + 1 fine label byte + 3072 bytes
 * (train.bin, test.bin, names in fine_label_names.txt); we use the fine label. Images are stored channel-planar
 * (1024 R, 1024 G, 1024 B, each row-major 32×32) and yielded as HWC.
 */
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ByteSource } from '../io/types';
import { CIFAR10_CLASSES, classNamesFor } from './classNames';
import { createDataset, type FormattedDataset } from './createDataset';
import { datasetError } from './datasetError';
import { openFileByteSource } from './fileByteSource';
import { readClassList } from './fsUtil';
import { concatRecords, randomAccessRecords } from './recordSource';
import type { OpenDatasetOptions } from './types';

const PIXELS = 32 * 32;

export type CifarKind = 10 | 100;

/** The CIFAR files of `split` in `dir`, if it holds CIFAR batches. */
export async function findCifarFiles(dir: string, split: 'train' | 'test'): Promise<{ files: string[]; kind: CifarKind } | undefined> {
  const names = (await readdir(dir)).sort(naturalOrder);
  if (names.some((n) => /^(data_batch_\d+|test_batch)\.bin$/.test(n))) {
    const files = names.filter((n) => (split === 'test' ? n === 'test_batch.bin' : /^data_batch_\d+\.bin$/.test(n)));
    if (!files.length) throw datasetError(`${dir} holds CIFAR-10 batches but none for the ${split} split (${split === 'test' ? 'test_batch.bin' : 'data_batch_*.bin'})`);
    return { files: files.map((n) => join(dir, n)), kind: 10 };
  }
  if (names.includes('train.bin') || names.includes('test.bin')) {
    const want = `${split}.bin`;
    if (!names.includes(want)) throw datasetError(`${dir} holds CIFAR-100 batches but no ${want}`);
    return { files: [join(dir, want)], kind: 100 };
  }
  return undefined;
}

/** CIFAR-100 when its files are named train.bin/test.bin or its fine label names lie beside it. */
export async function cifarKindOfFile(path: string): Promise<CifarKind> {
  if (/^(train|test)\.bin$/.test(basename(path))) return 100;
  return (await readClassList(dirname(path), 'fine_label_names.txt')) ? 100 : 10;
}

export async function openCifarDataset(
  files: string[],
  kind: CifarKind,
  split: 'train' | 'test',
  displayPath: string,
  opts: OpenDatasetOptions,
): Promise<FormattedDataset> {
  const labelBytes = kind === 100 ? 2 : 1;
  const recordBytes = labelBytes + 3 * PIXELS;
  const sources: ByteSource[] = [];
  try {
    for (const f of files) {
      const src = await openFileByteSource(f);
      sources.push(src);
      if (src.size === 0 || src.size % recordBytes !== 0) {
        throw datasetError(`${basename(f)} is truncated or not a CIFAR-${kind} batch: ${src.size} bytes is not a whole number of ${recordBytes}-byte records`);
      }
    }
    const records = concatRecords(sources.map((s) => randomAccessRecords(s, 0, s.size / recordBytes, recordBytes)));
    const dir = dirname(files[0]);
    const listed = await readClassList(dir, kind === 100 ? 'fine_label_names.txt' : 'batches.meta.txt');
    const numClasses = kind;
    const classNames = classNamesFor(listed ?? (kind === 10 ? CIFAR10_CLASSES : undefined), numClasses);
    return createDataset(
      {
        name: `cifar-${kind} (${split})`,
        path: displayPath,
        format: 'cifar',
        split,
        count: records.count,
        shape: [32, 32, 3],
        numClasses,
        classNames,
        async *read(start, end, maxCount) {
          for await (const run of records.runs(start, end, maxCount)) {
            const n = run.length / recordBytes;
            const x = new Float32Array(n * 3 * PIXELS);
            const y = new Int32Array(n);
            for (let i = 0; i < n; i++) {
              const r = i * recordBytes;
              y[i] = run[r + labelBytes - 1];
              const img = r + labelBytes;
              const o = i * 3 * PIXELS;
              for (let p = 0; p < PIXELS; p++) {
                x[o + 3 * p] = run[img + p] / 255;
                x[o + 3 * p + 1] = run[img + PIXELS + p] / 255;
                x[o + 3 * p + 2] = run[img + 2 * PIXELS + p] / 255;
              }
            }
            yield { x, y };
          }
        },
        close: async () => {
          await Promise.all(sources.map((s) => s.close()));
        },
      },
      opts,
    );
  } catch (err) {
    await Promise.all(sources.map((s) => s.close()));
    throw err;
  }
}

function naturalOrder(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
