/**
 * `softmoe train` for the paper's MNIST suite: one run folder `n<N>/` per number of experts, all at the same total
 * expert parameter count (h = int(196·4/n)). The dataset is turned into tokens once and shared by every run.
 */
import { join } from 'node:path';
import type { Dataset } from '../data/types';
import { SoftMoeError } from '../errors';
import type { AdamConfig } from './adam';
import { paperArgs } from './paperArgs';
import { PAPER_CLASSES, paperExpertHidden } from './paperMnistSpec';
import { createPaperMnistTrainable } from './paperMnistTrainable';
import { cacheTokens, type TokenSet } from './tokenCache';
import { trainClassifier } from './trainClassifier';
import type { TrainLog, TrainLogEntry, TrainProgress } from './types';

export interface TrainSuiteOptions {
  experts: number[];
  epochs: number;
  seed: number;
  batchSize: number;
  lr: number;
  train: Dataset;
  test?: Dataset;
  outDir: string;
  saveEpochs: number[];
  half: boolean;
  resume: boolean;
  backend: string;
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress & { numExperts: number }) => void;
  onEpoch?: (numExperts: number, entry: TrainLogEntry) => void;
}

export interface SuiteRun {
  numExperts: number;
  dir: string;
  log: TrainLog;
  resumedFrom: number;
}

export function checkExperts(experts: number[]): void {
  for (const n of experts) {
    if (!Number.isInteger(n) || n < 1 || paperExpertHidden(n) < 1) {
      throw new SoftMoeError('E_USAGE', `--experts: ${n} is not a valid number of experts (1 to 784, so that h = int(196·4/n) ≥ 1).`);
    }
  }
}

export async function trainSuite(o: TrainSuiteOptions): Promise<SuiteRun[]> {
  checkExperts(o.experts);
  if (o.train.numClasses !== PAPER_CLASSES) {
    throw new SoftMoeError('E_DATASET', `${o.train.path}: has ${o.train.numClasses} classes; the paper's MNIST model has ${PAPER_CLASSES}.`);
  }
  const [h, w, c] = o.train.shape;
  if (h !== 28 || w !== 28 || c !== 1) {
    throw new SoftMoeError('E_DATASET', `${o.train.path}: images are ${h}×${w}×${c}; the paper's MNIST model needs 28×28 grey images.`);
  }
  const runs: SuiteRun[] = [];
  let trainTokens: TokenSet | undefined;
  let testTokens: TokenSet | undefined;
  for (const n of o.experts) {
    const model = createPaperMnistTrainable(n, o.seed);
    try {
      const report = (phase: 'load', done: number, total: number): void => o.onProgress?.({ phase, epoch: 0, epochs: o.epochs, done, total, numExperts: n });
      trainTokens ??= await cacheTokens(model, o.train, { signal: o.signal, onProgress: (d, t) => report('load', d, t) });
      if (o.test) testTokens ??= await cacheTokens(model, o.test, { signal: o.signal, onProgress: (d, t) => report('load', d, t) });
      const dir = join(o.outDir, `n${n}`);
      const adam: Partial<AdamConfig> = { lr: o.lr };
      const result = await trainClassifier({
        model, train: trainTokens, test: testTokens, numClasses: PAPER_CLASSES, epochs: o.epochs, batchSize: o.batchSize,
        seed: o.seed, adam, outDir: dir, saveEpochs: o.saveEpochs, half: o.half, resume: o.resume, backend: o.backend,
        args: paperArgs({ numExperts: n, epochs: o.epochs, lr: o.lr, batchSize: o.batchSize, seed: o.seed, outDir: o.outDir, data: o.train.path, trainExamples: trainTokens.count, backend: o.backend, half: o.half }),
        signal: o.signal,
        onProgress: (p) => o.onProgress?.({ ...p, numExperts: n }),
        onEpoch: (e) => o.onEpoch?.(n, e),
      });
      runs.push({ numExperts: n, dir, log: result.log, resumedFrom: result.resumedFrom });
    } finally {
      model.dispose();
    }
  }
  return runs;
}
