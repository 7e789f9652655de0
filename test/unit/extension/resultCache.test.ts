import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnalysisResult } from '../../../src/core/analysis/schema';
import { ResultCache } from '../../../src/extension/resultCache';

const result = JSON.parse(readFileSync(join(__dirname, '../../fixtures/webview/analysis-n16.json'), 'utf8')) as AnalysisResult;
const key = (c: string) => c.repeat(40);

test('put then get returns the result; a missing, corrupt or foreign-schema file is a miss', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new ResultCache(join(dir, 'results'));
  assert.equal(await cache.get(key('a')), null);
  await cache.put(key('a'), result);
  assert.deepEqual(await cache.get(key('a')), result);
  writeFileSync(join(dir, 'results', `${key('b')}.json`), '{not json');
  assert.equal(await cache.get(key('b')), null);
  writeFileSync(join(dir, 'results', `${key('c')}.json`), JSON.stringify({ ...result, schemaVersion: '2.0' }));
  assert.equal(await cache.get(key('c')), null);
  assert.equal(await cache.get('../../etc/passwd'), null);
  await assert.rejects(cache.put('../x', result));
  await cache.delete(key('a'));
  assert.equal(await cache.get(key('a')), null);
});

test('the cache keeps only its newest entries', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const cache = new ResultCache(dir, 2);
  for (const c of ['1', '2', '3']) await cache.put(key(c), result);
  assert.equal(readdirSync(dir).filter((n) => n.endsWith('.json')).length, 2);
});
