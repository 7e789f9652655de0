/**
 * Both cores: an analysis split over this engine and worker threads (src/pool, each part in an engine of its own)
 * combines into exactly the result of one engine over the whole range — general path (the ViT fixture, several MoE
 * layers) and fast path (the paper's MNIST fixture) — wherever the split falls: the caller's engine starts at once
 * and the others are handed a share of what is left when they are open (nothing, when it is all done). A part that
 * fails fails the analysis with its message; an evaluation split the same way counts exactly what one engine
 * counts; cancelling stops every part.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { addCounts, evaluate, evaluateCounts } from '../../../src/core/engine/evaluate';
import { openEngine } from '../../../src/core/engine/openEngine';
import { openDatasetForModel } from '../../../src/core/engine/openDatasetForModel';
import { SoftMoeError } from '../../../src/core/errors';
import type { ExampleRange, PartRunner, StartedPart } from '../../../src/core/parallel';
import { finalizeResult } from '../../../src/core/analysis/finalize';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { runSplit, splitRange } from '../../../src/core/parallel';
import { runAnalyzePart, runEvaluatePart } from '../../../src/core/parallelJobs';
import { createPool } from '../../../src/pool/pool';

const FIXTURES = join(__dirname, '..', '..', 'fixtures');
/** 128 Fashion-MNIST test images (the layout fixtures' dataset). */
const DATA = join(FIXTURES, 'layouts', 'data', 'fashion128.npz');

/**
 * Parts in this thread (the worker's own code, parallelJobs.ts, without the thread) that say they are ready when
 * `opens` settles — at once by default, so the split is made before the caller's engine begins — whatever their
 * engine is doing (`run` waits for it), recording the examples each is handed.
 */
function inProcess(handed: Array<ExampleRange | null>, opens: Promise<void> = Promise.resolve()): PartRunner {
  const record = <T>(part: StartedPart<T>): StartedPart<T> => ({
    ready: (part.ready.catch(() => undefined), opens),
    run: (r) => {
      handed.push(r);
      return part.run(r);
    },
  });
  return { extra: 1, analyze: (job, hooks) => record(runAnalyzePart(job, hooks)), evaluate: (job, hooks) => record(runEvaluatePart(job, hooks)) };
}

/** A result without what differs between runs (times, creation time, the engine's label). */
function comparable(r: AnalysisResult): unknown {
  return { ...r, createdAt: '', timing: null, tool: { ...r.tool, engine: null } };
}

describe('parallel analysis (worker threads)', () => {
  it('splits a range into contiguous whole units', () => {
    assert.deepEqual(splitRange({ start: 0, end: 10 }, 1, 3), [{ start: 0, end: 4 }, { start: 4, end: 7 }, { start: 7, end: 10 }]);
    assert.deepEqual(splitRange({ start: 256, end: 1000 }, 256, 2), [{ start: 256, end: 768 }, { start: 768, end: 1000 }]);
    assert.deepEqual(splitRange({ start: 0, end: 5 }, 256, 4), [{ start: 0, end: 5 }]);
  });

  for (const [name, checkpoint, selectors] of [
    ['ViT fixture (general path, three MoE layers)', join(FIXTURES, 'vit', 'vit_gray', 'model.pt'), ['heuristic', 'random', 'batch']],
    ['paper MNIST n=4 (fast path)', join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors'), ['heuristic', 'random', 'oracle']],
  ] as const) {
    it(`two engines at once give exactly one engine's result: ${name}`, async () => {
      const options = { backend: 'wasm' as const, limit: 64, batchSize: 16, selectors: [...selectors], trials: 1, samples: 8, drops: ['zero', 'renorm'] as Array<'zero' | 'renorm'> };
      const one = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, options));
      // A worker thread (however far this engine has got by the time it is open) ...
      const logs: string[] = [];
      const two = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, { ...options, workers: 2 }, { parts: createPool(2), log: (l) => logs.push(l) }));
      assert.ok(logs.some((l) => /examples 0–64 on 2 engines at once/.test(l)), logs.join('\n'));
      assert.deepEqual(comparable(two), comparable(one));
      // ... and an engine ready at once, which takes half of the examples.
      const handed: Array<ExampleRange | null> = [];
      const half = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, { ...options, workers: 2 }, { parts: inProcess(handed) }));
      assert.deepEqual(handed, [{ start: 32, end: 64 }]);
      assert.match(half.tool.engine?.label ?? '', /2 engines at once/);
      assert.deepEqual(comparable(half), comparable(one));
    });
  }

  it('the caller\'s engine starts at once: an engine that opens late is handed only part of what is left', async () => {
    const checkpoint = join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors');
    const options = { backend: 'wasm' as const, limit: 128, batchSize: 16, trials: 1, samples: 0 };
    const one = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, options));
    let open: () => void = () => undefined;
    const late = new Promise<void>((resolve) => (open = resolve));
    const handed: Array<ExampleRange | null> = [];
    const seen: number[] = [];
    const r = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, { ...options, workers: 2 }, {
      parts: inProcess(handed, late),
      // The other engine opens once this one has done 3 batches (48 examples): 80 are left, 48 begun or done by then.
      onProgress: (p) => {
        seen.push(p.done);
        if (p.done === 48) open();
      },
    }));
    assert.equal(handed.length, 1);
    const got = handed[0] as ExampleRange;
    assert.equal(got.end, 128);
    assert.ok(got.start >= 48 + 16 && got.start < 128 && got.start % 16 === 0, `handed [${got.start}, ${got.end})`);
    assert.deepEqual(comparable(r), comparable(one));
    assert.equal(seen.at(-1), 128);
  });

  it('a caller that is done before the others open hands them nothing, and the result is its own', async () => {
    const checkpoint = join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors');
    const options = { backend: 'wasm' as const, limit: 64, batchSize: 16, trials: 1, samples: 4 };
    const one = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, options));
    let open: () => void = () => undefined;
    const late = new Promise<void>((resolve) => (open = resolve));
    const handed: Array<ExampleRange | null> = [];
    const r = finalizeResult(await analyzeCheckpoint(checkpoint, DATA, { ...options, workers: 2 }, {
      parts: inProcess(handed, late), onProgress: (p) => { if (p.done === 64) open(); },
    }));
    assert.deepEqual(handed, [null]);
    assert.doesNotMatch(r.tool.engine?.label ?? '', /engines at once/);
    assert.deepEqual(comparable(r), comparable(one));
  });

  it('a part that fails fails the analysis with its own message', async () => {
    const checkpoint = join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors');
    const exploded = <T>(): StartedPart<T> => ({ ready: Promise.reject(new Error('part exploded')), run: async () => null });
    const failing: PartRunner = { extra: 1, analyze: exploded, evaluate: exploded };
    await assert.rejects(
      analyzeCheckpoint(checkpoint, DATA, { backend: 'cpu', limit: 64, batchSize: 32, trials: 1, samples: 0, workers: 2 }, { parts: failing }),
      /part exploded/,
    );
  });
});

describe('parallel evaluation (worker threads)', () => {
  for (const [name, checkpoint] of [
    ['ViT fixture', join(FIXTURES, 'vit', 'vit_gray', 'model.pt')],
    ['paper MNIST n=4', join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors')],
  ] as const) {
    it(`two engines at once count exactly what one engine counts: ${name}`, async () => {
      const { engine, checkpoint: source } = await openEngine(checkpoint, { backend: 'wasm' });
      try {
        const dataset = await openDatasetForModel(DATA, engine.info, { split: 'test', limit: 100 });
        try {
          const one = await evaluate(engine, dataset, { batchSize: 16 });
          const logs: string[] = [];
          const parts = { runner: createPool(2), checkpoint: source.path, dataset: DATA, split: 'test' as const, limit: 100, modelBytes: source.fileSize, workers: 2, log: (l: string) => logs.push(l) };
          const seen: number[] = [];
          const two = await evaluate(engine, dataset, { batchSize: 16, parts, onProgress: (done) => seen.push(done) });
          assert.ok(logs.some((l) => /examples 0–100 on 2 engines at once/.test(l)), logs.join('\n'));
          assert.equal(two.numExamples, 100);
          assert.equal(seen.at(-1), 100, 'progress reaches the whole count');
          assert.deepEqual({ ...two, seconds: 0, examplesPerSecond: 0, engine: '' }, { ...one, seconds: 0, examplesPerSecond: 0, engine: '' });
        } finally {
          await dataset.close();
        }
      } finally {
        await engine.dispose();
      }
    });
  }

  it('a worker thread handed half of the examples counts them: the real pool, split when it is open', async () => {
    const checkpoint = join(FIXTURES, 'engine', 'mnist_n4', 'model.safetensors');
    const { engine, checkpoint: source } = await openEngine(checkpoint, { backend: 'wasm' });
    try {
      const dataset = await openDatasetForModel(DATA, engine.info, { split: 'test', limit: 100 });
      try {
        const one = await evaluateCounts(engine, dataset, { batchSize: 16 });
        const part = createPool(2).evaluate({ checkpoint: source.path, dataset: DATA, split: 'test', limit: 100, backend: 'wasm', batchSize: 16 });
        const handed: Array<ExampleRange | null> = [];
        // This engine waits for the thread to open, so the split is made before it begins: [0, 64) here, [64, 100) there.
        const counts = await runSplit({ start: 0, end: 100 }, 16,
          async (openRange, signal) => {
            await part.ready;
            return evaluateCounts(engine, dataset, { batchSize: 16, openRange, signal });
          },
          [() => ({ ready: part.ready, run: (r) => (handed.push(r), part.run(r)) })]);
        assert.deepEqual(handed, [{ start: 64, end: 100 }]);
        assert.deepEqual(counts.map((c) => c.examples), [64, 36]);
        assert.deepEqual(addCounts(counts), one);
      } finally {
        await dataset.close();
      }
    } finally {
      await engine.dispose();
    }
  });

  it('cancelling stops every part: the evaluation is refused as cancelled, the workers are ended', async () => {
    const checkpoint = join(FIXTURES, 'vit', 'vit_gray', 'model.pt');
    const { engine, checkpoint: source } = await openEngine(checkpoint, { backend: 'wasm' });
    try {
      const dataset = await openDatasetForModel(DATA, engine.info, { split: 'test' });
      try {
        const ac = new AbortController();
        const pool = createPool(2);
        let partsStarted = 0;
        let partsEnded = 0;
        const runner: PartRunner = {
          extra: pool.extra,
          analyze: pool.analyze,
          evaluate: (job, hooks) => {
            partsStarted++;
            const part = pool.evaluate(job, hooks);
            // Ended: it failed to open (cancelled while opening), or it ran and settled.
            part.ready.catch(() => partsEnded++);
            return { ready: part.ready, run: (r) => part.run(r).finally(() => partsEnded++) };
          },
        };
        const parts = { runner, checkpoint: source.path, dataset: DATA, split: 'test' as const, limit: null, modelBytes: source.fileSize, workers: 2 };
        const run = evaluate(engine, dataset, { batchSize: 1, signal: ac.signal, parts, onProgress: (done) => { if (done >= 2) ac.abort(); } });
        await assert.rejects(run, (e: unknown) => e instanceof SoftMoeError && e.code === 'E_CANCELLED');
        assert.equal(partsStarted, 1);
        assert.equal(partsEnded, 1, 'the worker part has settled when the evaluation is refused');
      } finally {
        await dataset.close();
      }
    } finally {
      await engine.dispose();
    }
  });
});

describe('the pool worker ships with the extension and the npm package', () => {
  const ROOT = join(__dirname, '..', '..', '..');
  it('is built as dist/poolWorker.js and listed by .vscodeignore and .npmignore', () => {
    assert.match(readFileSync(join(ROOT, 'scripts', 'build.mjs'), 'utf8'), /entry: 'src\/pool\/poolWorker\.ts', outfile: 'dist\/poolWorker\.js'/);
    assert.match(readFileSync(join(ROOT, '.vscodeignore'), 'utf8'), /^!dist\/poolWorker\.js$/m);
    assert.match(readFileSync(join(ROOT, '.npmignore'), 'utf8'), /^!dist\/poolWorker\.js$/m);
  });
});
