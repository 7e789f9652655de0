import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { CheckpointSummary } from '../../src/core/protocol/checkpointSummary';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import { SHOTS, fixture, launch, openWebview } from './harness';

const summary = fixture<CheckpointSummary>('checkpoint-n16.json');
let browser: Browser;

before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

test('the checkpoint view shows the facts, the layer charts and a filterable tensor table', async () => {
  const w = await openWebview(browser, 'light');
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'checkpoint', summary } });
  await w.page.waitForSelector('#chart-phi-0[data-drawn="true"]');
  await w.page.waitForSelector('#chart-slot-cos-0[data-drawn="true"]');
  await w.page.waitForSelector('#chart-norms-0[data-drawn="true"]');
  const stats = await w.page.textContent('.stats') ?? '';
  assert.match(stats, /pytorch-zip/);
  assert.match(stats, new RegExp(summary.parameterCount.toLocaleString('en-US')));
  assert.equal(await w.page.locator('vscode-table-row').count(), summary.tensors.length);
  await w.page.screenshot({ path: `${SHOTS}/light-checkpoint.png` });
  await w.page.fill('vscode-textfield >> input', 'experts.3.');
  await w.page.waitForFunction(() => (globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }).document.querySelectorAll('vscode-table-row').length === 2);
  assert.match(await w.page.textContent('p[aria-live]') ?? '', /^2 of 35 tensors/);
  assert.equal((await w.savedState())?.filter, 'experts.3.');
  assert.deepEqual(await w.cspViolations(), []);
  assert.deepEqual(w.errors, []);
  await w.page.close();
});

test('Analyze Experts posts a request; an error answer shows its message with Show Log', async () => {
  const w = await openWebview(browser, 'dark');
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'checkpoint', summary } });
  await w.page.waitForSelector('#btn-analyze');
  await w.page.click('#btn-analyze');
  const req = (await w.posted()).find((m) => m.type === 'analyze');
  assert.ok(req);
  assert.equal(req.path, summary.path);
  assert.equal(typeof req.requestId, 'number');
  await w.send({ type: 'response', inReplyTo: req.requestId, ok: false, error: { code: 'E_DATASET', userMessage: 'data.npz: has no labels array' } });
  await w.page.waitForSelector('.banner.error');
  assert.match(await w.page.textContent('.banner') ?? '', /data\.npz: has no labels array/);
  await w.page.click('.banner vscode-button');
  assert.ok((await w.posted()).some((m) => m.type === 'showLog'));
  await w.page.screenshot({ path: `${SHOTS}/dark-checkpoint.png` });
  await w.page.close();
});

test('an unreadable checkpoint shows the core message in the editor, not a crash', async () => {
  const w = await openWebview(browser, 'light');
  const userMessage = "evil.pt: refuses to load pickle global 'os.system' (only tensors and containers are read)";
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'checkpoint-error', path: '/w/evil.pt', error: { code: 'E_UNSAFE', userMessage } } });
  await w.page.waitForSelector('.error-box');
  assert.equal(await w.page.textContent('.error-message'), userMessage);
  assert.match(await w.page.textContent('.error-box') ?? '', /E_UNSAFE/);
  assert.deepEqual(w.errors, []);
  await w.page.close();
});
