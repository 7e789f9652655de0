/**
 * The protocols' request → reply typing, checked by the compiler (`npm run typecheck` compiles this file; each
 * `@ts-expect-error` fails the build if its line ever compiles). The runtime test only keeps the file in the suite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReplyOf, RequestHandlers, WebviewApi } from '../../../src/core/protocol/webviewProtocol';
import type { JobValue, WorkerApi, WorkerJobHandlers } from '../../../src/core/protocol/workerProtocol';
import type { CheckpointSummary } from '../../../src/core/protocol/checkpointSummary';
import type { runWorkerJob } from '../../../src/extension/workerClient';
import type { PruneReport } from '../../../src/core/prune/pruneCheckpoint';

export const goodHandlers: RequestHandlers = {
  analyze: async () => null,
  export: async (req) => ({ saved: req.format === 'csv', name: req.suggestedName }),
};

export const wrongBody: RequestHandlers = {
  // @ts-expect-error: an export is answered with ExportResponse, not a string
  export: async () => 'saved',
};

export const wrongRequest: RequestHandlers = {
  // @ts-expect-error: an analyze request has no `format`
  analyze: async (req) => (req.format === 'png' ? null : null),
};

export const wrongWorkerAnswer: WorkerJobHandlers<null> = {
  // @ts-expect-error: an inspect job is answered by 'inspected', not 'result'
  inspect: async () => ({ type: 'result', result: {} as JobValue<'analyze'> }),
  analyze: async () => ({ type: 'result', result: {} as JobValue<'analyze'> }),
  // @ts-expect-error: a prune job is answered by 'pruned', not 'result'
  prune: async () => ({ type: 'result', result: {} as JobValue<'analyze'> }),
};

// @ts-expect-error: every job type of WorkerApi needs its handler (analyze is missing)
export const missingWorkerHandler: WorkerJobHandlers<null> = {
  inspect: async () => ({ type: 'inspected', summary: {} as CheckpointSummary }),
};

/** The host's call resolves with the job's own value type. */
type InspectValue = Awaited<ReturnType<typeof runWorkerJob<'inspect'>>>;
export const inspectIsSummary: InspectValue extends CheckpointSummary ? true : never = true;
export const exportReply: ReplyOf<'export'> = { saved: true };
// @ts-expect-error: a compare request's reply is null
export const compareReply: ReplyOf<'compare'> = { saved: true };
export const pruneReply: ReplyOf<'prune'> = { written: true, path: '/w/p-k2.safetensors' };
// @ts-expect-error: a prune request is answered with PruneResponse, not ExportResponse
export const pruneWrongReply: ReplyOf<'prune'> = { saved: true };
type PruneValue = Awaited<ReturnType<typeof runWorkerJob<'prune'>>>;
export const pruneIsReport: PruneValue extends PruneReport ? true : never = true;

test('the request → reply maps name every request and job (the compiler checks the rest of this file)', () => {
  const requests: Array<keyof WebviewApi> = ['analyze', 'compare', 'export', 'exportReport', 'prune'];
  const jobs: Array<keyof WorkerApi> = ['inspect', 'analyze', 'prune'];
  assert.equal(requests.length + jobs.length, 8);
});
