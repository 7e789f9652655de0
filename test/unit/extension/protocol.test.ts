import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SoftMoeError, toErrorPayload } from '../../../src/core/errors';
import {
  PROTOCOL_VERSION, answerRequest, dispatchRequest, handshake, isRequest, parseHostMessage, parseWebviewMessage, sanitizePanelState,
} from '../../../src/core/protocol/webviewProtocol';
import type { ExportRequest, RequestHandlers, ViewModel } from '../../../src/core/protocol/webviewProtocol';
import { WORKER_PROTOCOL_VERSION, helloMismatch, isTerminal, jobValue, parseHostToWorker, parseWorkerToHost } from '../../../src/core/protocol/workerProtocol';

const view: ViewModel = { kind: 'checkpoint-error', path: '/x.pt', error: { code: 'E_CORRUPT', userMessage: 'x' } };

test('messages from a webview are narrowed; junk is null, never a throw', () => {
  for (const junk of [null, 1, 'ready', {}, { type: 'nope' }, { type: 'analyze', requestId: 'a', path: '/x' }, { type: 'analyze', requestId: 1 },
    { type: 'ready' }, { type: 'export', requestId: 2, format: 'csv' }, { type: 'analyze', requestId: 1, path: '/x' },
    { type: 'export', requestId: 2, format: 'toString', suggestedName: 'a', data: '' }, { type: 'exportReport', requestId: 2.5, suggestedName: 'a' },
    { type: 'webviewError' }, { type: 'constructor' }, { type: 'hasOwnProperty', requestId: 1 }]) {
    assert.equal(parseWebviewMessage(junk), null, JSON.stringify(junk));
  }
  const m = parseWebviewMessage({ type: 'analyze', requestId: 3, path: '/x.pt', rerun: true });
  assert.ok(m && isRequest(m));
  assert.equal(parseWebviewMessage({ type: 'ready', protocolVersion: PROTOCOL_VERSION })?.type, 'ready');
  assert.equal(parseHostMessage({ type: 'init', protocolVersion: PROTOCOL_VERSION, view })?.type, 'init');
  assert.equal(parseHostMessage({ type: 'init' }), null, 'an init without its view');
  assert.equal(parseHostMessage({ type: 'ready' }), null);
  assert.equal(parseHostMessage({ type: 'response', inReplyTo: 'x', ok: true }), null);
});

test('the handshake answers init on the same version and an error naming both versions otherwise', () => {
  const ok = handshake({ type: 'ready', protocolVersion: PROTOCOL_VERSION }, view, { tab: 'routing' });
  assert.equal(ok.type, 'init');
  assert.deepEqual(ok.type === 'init' && ok.state, { tab: 'routing' });
  const bad = handshake({ type: 'ready', protocolVersion: PROTOCOL_VERSION + 1 }, view);
  assert.equal(bad.type, 'error');
  assert.match(bad.type === 'error' ? bad.error.userMessage : '', new RegExp(`${PROTOCOL_VERSION + 1}.*${PROTOCOL_VERSION}`));
});

test('every request gets exactly one response; a throwing handler answers {code, userMessage} without the stack', async () => {
  const req: ExportRequest = { type: 'export', requestId: 7, format: 'csv', suggestedName: 'a.csv', data: 'x' };
  const ok = await answerRequest(req, async () => ({ saved: true, name: 'a.csv' }), toErrorPayload);
  assert.deepEqual(ok, { type: 'response', inReplyTo: 7, ok: true, body: { saved: true, name: 'a.csv' } });
  const failed = await answerRequest(req, async () => { throw new SoftMoeError('E_DATASET', 'data.npz: no labels'); }, toErrorPayload);
  assert.deepEqual(failed, { type: 'response', inReplyTo: 7, ok: false, error: { code: 'E_DATASET', userMessage: 'data.npz: no labels' } });
  const crashed = await answerRequest(req, async () => { throw new TypeError('boom'); }, toErrorPayload);
  assert.equal(crashed.error?.code, 'E_INTERNAL');
});

test('a request a panel does not serve is answered E_UNSUPPORTED; a served one gets its typed reply', async () => {
  const handlers: RequestHandlers = { exportReport: async () => ({ saved: false }) };
  const no = await dispatchRequest({ type: 'analyze', requestId: 3, path: '/x.pt', rerun: false }, handlers, toErrorPayload);
  assert.deepEqual([no.inReplyTo, no.ok, no.error?.code], [3, false, 'E_UNSUPPORTED']);
  const yes = await dispatchRequest({ type: 'exportReport', requestId: 4, suggestedName: 'r.html' }, handlers, toErrorPayload);
  assert.deepEqual(yes, { type: 'response', inReplyTo: 4, ok: true, body: { saved: false } });
});

test('saved panel state is sanitised: wrong types fall back, cache keys must look like keys', () => {
  const s = sanitizePanelState({ tab: 'samples', k: 4, drop: 'renorm', xAxis: 'fraction', layer: 1, sample: 3, restore: { kind: 'analysis', cacheKey: 'a'.repeat(40) } });
  assert.deepEqual([s.tab, s.k, s.drop, s.xAxis, s.layer, s.sample], ['samples', 4, 'renorm', 'fraction', 1, 3]);
  assert.deepEqual(s.restore, { kind: 'analysis', cacheKey: 'a'.repeat(40) });
  const bad = sanitizePanelState({ k: -1, drop: 'half', xAxis: 'y', layer: 1.5, sample: 'x', restore: { kind: 'analysis', cacheKey: '../../x' } });
  assert.deepEqual([bad.k, bad.drop, bad.xAxis, bad.layer, bad.sample, bad.restore], [null, null, 'k', 0, null, null]);
  assert.equal(sanitizePanelState('junk').tab, 'overview');
});

test('worker messages are narrowed and terminal messages recognised', () => {
  assert.equal(parseHostToWorker({ type: 'cancel' }), null);
  assert.equal(parseHostToWorker({ type: 'cancel', id: 1 })?.type, 'cancel');
  assert.equal(parseWorkerToHost({ type: 'what' }), null);
  assert.equal(parseHostToWorker({ type: 'inspect', id: 1 }), null, 'an inspect without its path');
  assert.equal(parseHostToWorker({ type: 'analyze', id: 1, checkpoint: '/a', dataset: '/d' }), null, 'an analyze without settings');
  assert.equal(parseWorkerToHost({ type: 'result', id: 1 }), null, 'a result without its result');
  assert.equal(parseWorkerToHost({ type: 'log', level: 'loud', message: 'x' }), null);
  const done = parseWorkerToHost({ type: 'inspected', id: 2, summary: { layers: [] } });
  assert.ok(done && isTerminal(done));
  assert.deepEqual(jobValue('inspect', done), { layers: [] });
  assert.equal(jobValue('analyze', done), undefined, "an inspect's answer is not an analysis result");
  const err = parseWorkerToHost({ type: 'error', id: 1, error: { code: 'E_CANCELLED', userMessage: 'Cancelled.' } });
  assert.ok(err && isTerminal(err));
  const prog = parseWorkerToHost({ type: 'progress', id: 1, done: 1, total: 2, examplesPerSecond: 5, phase: 'x' });
  assert.ok(prog && !isTerminal(prog));
});

test('a prune request is a request with a whole k; anything else is junk', () => {
  const m = parseWebviewMessage({ type: 'prune', requestId: 4, k: 3 });
  assert.ok(m && isRequest(m) && m.type === 'prune' && m.k === 3);
  for (const junk of [{ type: 'prune', requestId: 4 }, { type: 'prune', requestId: 4, k: 0 }, { type: 'prune', requestId: 4, k: 2.5 }, { type: 'prune', k: 2 }, { type: 'prune', requestId: 4, k: '2' }]) {
    assert.equal(parseWebviewMessage(junk), null, JSON.stringify(junk));
  }
  assert.equal(parseHostToWorker({ type: 'prune', id: 1, checkpoint: '/a', output: '/b', keep: [[0]], overwrite: false })?.type, 'prune');
  const pruned = parseWorkerToHost({ type: 'pruned', id: 1, report: {} });
  assert.ok(pruned && isTerminal(pruned));
  const analyze = { type: 'analyze', id: 2, checkpoint: '/a', dataset: '/d', execution: { batchSize: 8, backend: 'auto' } };
  const settings = { drops: ['zero'], selectors: ['global'], trials: 1, seed: 0, limit: null, target: 0.99, samples: 0 };
  assert.equal(parseHostToWorker({ ...analyze, settings: { ...settings, calibration: 'train[:100]', globalRanking: 'mass' } })?.type, 'analyze');
  assert.equal(parseHostToWorker({ ...analyze, settings: { ...settings, globalRanking: 'best' } }), null);
  assert.equal(parseHostToWorker({ ...analyze, settings: { ...settings, calibration: 5 } }), null);
  assert.equal(parseHostToWorker({ type: 'prune', id: 1, checkpoint: '/a', output: '/b', keep: [[0.5]], overwrite: false }), null);
  assert.equal(parseHostToWorker({ type: 'prune', id: 1, checkpoint: '/a', output: '/b', keep: [[0]] }), null);
});

test("the worker's hello is checked: another protocol version is one error naming both", () => {
  assert.equal(helloMismatch({ type: 'hello', protocolVersion: WORKER_PROTOCOL_VERSION }), null);
  assert.match(helloMismatch({ type: 'hello', protocolVersion: WORKER_PROTOCOL_VERSION + 1 }) ?? '', new RegExp(`protocol ${WORKER_PROTOCOL_VERSION + 1} but the extension speaks ${WORKER_PROTOCOL_VERSION}.*reinstall`));
});
