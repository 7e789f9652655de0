/**
 * One worker job as the extension runs it: the extension's own client (src/extension/workerClient.ts) starts the
 * built dist/worker.js in a worker thread and waits for its terminal message. Bundled by the campaign into
 * .cache/fuzz/workerProbe.js and run as `node workerProbe.js <worker.js> <job JSON>`; prints one JSON line:
 * {terminal: 'inspected'|'result'|'error', code?, userMessage?}.
 */
import { toSoftMoeError } from '../../src/core/errors';
import type { AnalyzeJob, InspectJob } from '../../src/core/protocol/workerProtocol';
import { runWorkerJob } from '../../src/extension/workerClient';

async function main(): Promise<void> {
  const [workerFile, jobText] = process.argv.slice(2) as [string, string];
  const job = JSON.parse(jobText) as Omit<InspectJob, 'id'> | Omit<AnalyzeJob, 'id'>;
  try {
    if (job.type === 'inspect') await runWorkerJob(workerFile, job);
    else await runWorkerJob(workerFile, job);
    process.stdout.write(`${JSON.stringify({ terminal: job.type === 'inspect' ? 'inspected' : 'result' })}\n`);
  } catch (err) {
    const e = toSoftMoeError(err);
    process.stdout.write(`${JSON.stringify({ terminal: 'error', code: e.code, userMessage: e.userMessage })}\n`);
  }
}

void main().then(() => process.exit(0));
