/**
 * The analyze job: start the tfjs backend, build the model from the checkpoint, open the dataset in the model's
 * geometry and run the core's `analyze` with progress and cancellation. Everything the worker thread owns is
 * disposed whatever happens.
 */
import { basename, resolve } from 'node:path';
import { analyze } from '../core/analysis/analyze';
import type { AnalysisResult } from '../core/analysis/schema';
import { openDataset } from '../core/data/openDataset';
import { initBackend } from '../core/engine/backend';
import { modelFromCheckpoint } from '../core/engine/loadModel';
import { throwIfAborted } from '../core/errors';
import { openCheckpoint } from '../core/io/openCheckpoint';
import { readSidecars } from '../core/model/sidecar';
import type { AnalyzeJob, WorkerProgress } from '../core/protocol/workerProtocol';

export type ProgressSink = (p: Omit<WorkerProgress, 'type' | 'id'>) => void;

export async function runAnalysis(job: AnalyzeJob, onProgress: ProgressSink, signal: AbortSignal, log: (message: string) => void = () => undefined): Promise<AnalysisResult> {
  const { execution } = job;
  let settings = job.settings;
  onProgress({ done: 0, total: 0, examplesPerSecond: 0, phase: 'loading model' });
  await initBackend(execution.backend === 'auto' ? undefined : execution.backend);
  throwIfAborted(signal);
  const ckpt = await openCheckpoint(job.checkpoint);
  let model;
  try {
    model = await modelFromCheckpoint(ckpt, await readSidecars(ckpt.path));
  } finally {
    await ckpt.close();
  }
  try {
    throwIfAborted(signal);
    // The oracle needs one MoE layer with a linear readout (the paper's MNIST model); elsewhere leave it out.
    const oracleFits = model.linearReadout !== undefined && model.info.moeLayers.length === 1;
    if (!oracleFits && settings.selectors.includes('oracle')) {
      log(`${basename(job.checkpoint)}: the oracle selector needs the paper's MNIST model (one Soft MoE layer, linear readout); analysing without it.`);
      settings = { ...settings, selectors: settings.selectors.filter((s) => s !== 'oracle') };
    }
    const [h, w, c] = model.info.inputShape;
    const dataset = await openDataset(job.dataset, {
      split: 'test',
      ...(settings.limit !== null ? { limit: settings.limit } : {}),
      ...(model.info.architecture === 'vit-softmoe' ? { image: { size: [h, w] as [number, number], channels: c } } : {}),
    });
    try {
      const path = resolve(job.checkpoint);
      return await analyze(model, dataset, {
        selectors: settings.selectors,
        drops: settings.drops,
        trials: settings.trials,
        seed: settings.seed,
        target: settings.target,
        samples: settings.samples,
        batchSize: execution.batchSize,
        limit: settings.limit,
        checkpoint: { path, name: basename(path), format: ckpt.format, fileSize: ckpt.fileSize },
      }, {
        signal,
        onProgress: (p) => onProgress({ done: p.done, total: p.total, examplesPerSecond: p.examplesPerSecond, phase: 'analysing' }),
      });
    } finally {
      await dataset.close();
    }
  } finally {
    model.dispose();
  }
}
