/**
 * The analysis panel's Overview says when the numbers were measured with preprocessing that no sidecar or checkpoint
 * gave (a documented default), and shows every value with its source; without defaults there is no notice.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import type { AnalysisResult, Preprocessing } from '../../src/core/analysis/schema';
import { PROTOCOL_VERSION } from '../../src/core/protocol/webviewProtocol';
import { SHOTS, fixture, launch, openWebview } from './harness';

const base = fixture<AnalysisResult>('analysis-n16.json');
let browser: Browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const defaults: Preprocessing = {
  mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], inputSize: [224, 224], resized: true,
  resize: { cropPct: 0.875, interpolation: 'bicubic' },
  sources: {
    mean: { from: 'default', note: "ImageNet's, timm's default for 3-channel images" },
    std: { from: 'default', note: "ImageNet's, timm's default for 3-channel images" },
    inputSize: { from: 'checkpoint', file: '/runs/deit/checkpoint.pth', key: 'args.input_size' },
    cropPct: { from: 'default', note: "timm's 0.875" },
    interpolation: { from: 'sidecar', file: '/runs/deit/softmoe.json', key: 'interpolation' },
  },
};

async function overview(result: AnalysisResult, shot?: string): Promise<{ notice: string | null; facts: string }> {
  const w = await openWebview(browser, 'light', null);
  await w.send({ type: 'init', protocolVersion: PROTOCOL_VERSION, view: { kind: 'analysis', result, cacheKey: null, fromCache: false } });
  await w.page.waitForSelector('.app-header h1');
  if (shot) await w.page.screenshot({ path: `${SHOTS}/${shot}` });
  const notice = await w.page.$('.preprocessing-notice') ? await w.page.textContent('.preprocessing-notice') : null;
  const facts = (await w.page.textContent('.facts')) ?? '';
  assert.deepEqual(w.errors, []);
  await w.page.close();
  return { notice, facts };
}

test('defaults used: a notice names each one, and the facts give every value with its source', async () => {
  const { notice, facts } = await overview({ ...base, preprocessing: defaults }, 'light-overview-preprocessing.png');
  assert.match(notice ?? '', /mean \[0\.485, 0\.456, 0\.406\] and std \[0\.229, 0\.224, 0\.225\] are defaults \(ImageNet's/);
  assert.match(notice ?? '', /crop_pct 0\.875 is a default/);
  assert.doesNotMatch(notice ?? '', /interpolation/);
  assert.match(facts, /Preprocessing.*mean \[0\.485, 0\.456, 0\.406\] \(default: ImageNet's.*input 224×224 \(from "args\.input_size" in \/runs\/deit\/checkpoint\.pth\).*images resized, crop 0\.875, bicubic/);
});

test('nothing defaulted, or an older result without the record: no notice', async () => {
  const given: Preprocessing = { ...defaults, sources: { ...defaults.sources, mean: { from: 'sidecar', file: 'a' }, std: { from: 'sidecar', file: 'a' }, cropPct: { from: 'sidecar', file: 'a' } } };
  assert.equal((await overview({ ...base, preprocessing: given })).notice, null);
  const old = await overview(base);
  assert.equal(old.notice, null);
  assert.doesNotMatch(old.facts, /Preprocessing/);
});
