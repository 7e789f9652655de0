/** Child process of onnxFallback.test.ts: one analysis on the default backend, its backend and curves as JSON. */
import { analyzeCheckpoint } from '../../../../src/core/analysis/analyzeCheckpoint';
import { finalizeResult } from '../../../../src/core/analysis/finalize';

void (async () => {
  const [checkpoint, dataset, batch] = process.argv.slice(2) as [string, string, string];
  const lines: string[] = [];
  const r = finalizeResult(await analyzeCheckpoint(checkpoint, dataset, {
    selectors: ['heuristic', 'random'], drops: ['zero', 'renorm'], trials: 2, samples: 0, batchSize: Number(batch), workers: 1,
  }, { log: (l) => lines.push(l) }));
  process.stdout.write(JSON.stringify({ backend: r.tool.backend, label: r.tool.engine?.label, fullCorrect: r.fullCorrect, curves: r.curves, log: lines }));
})();
