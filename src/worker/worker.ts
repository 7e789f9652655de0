/**
 * Entry of dist/worker.js: the analysis worker thread. The extension host starts it with `new Worker(...)` and
 * talks to it with the messages of src/core/protocol/workerProtocol.ts; all checkpoint reading and model running
 * happens here, never on the extension host's thread.
 */
import { parentPort } from 'node:worker_threads';
import { parseHostToWorker, WORKER_PROTOCOL_VERSION } from '../core/protocol/workerProtocol';
import type { WorkerToHost } from '../core/protocol/workerProtocol';
import { JobRunner } from './jobRunner';

const port = parentPort;
if (port) {
  const post = (m: WorkerToHost): void => port.postMessage(m);
  const runner = new JobRunner(post);
  port.on('message', (raw: unknown) => {
    const msg = parseHostToWorker(raw);
    if (!msg) {
      post({ type: 'log', level: 'warn', message: `worker: ignored a message it does not understand: ${JSON.stringify(raw)?.slice(0, 200)}` });
      return;
    }
    void runner.handle(msg);
  });
  post({ type: 'hello', protocolVersion: WORKER_PROTOCOL_VERSION });
}
