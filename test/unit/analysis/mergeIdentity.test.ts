// merge accepts exactly the shards of one run identity: the same files (checkpoint, sidecars, dataset), options and
// tool. A shard analysed after the checkpoint changed is refused, and the message says what differs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeCheckpoint } from '../../../src/core/analysis/analyzeCheckpoint';
import { mergePartials } from '../../../src/core/analysis/merge';
import { initBackend } from '../../../src/core/engine/backend';

const ROOT = join(__dirname, '../../..');

test('shards of one run merge; a shard of a changed checkpoint or other options is refused, saying what differs', async (t) => {
  await initBackend();
  const dir = mkdtempSync(join(tmpdir(), 'softmoe-merge-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ckpt = join(dir, 'ep4_moe.safetensors');
  cpSync(join(ROOT, 'media/demo/models/n16/ep4_moe.safetensors'), ckpt);
  const data = join(ROOT, 'media/demo/data');
  const options = { selectors: ['heuristic' as const], limit: 32, batchSize: 16, samples: 2 };
  const shard = (index: number, extra = {}) => analyzeCheckpoint(ckpt, data, { ...options, ...extra, shard: { index, count: 2 } }).then((p) => JSON.parse(JSON.stringify(p)));
  const [a, b] = [await shard(0), await shard(1)];
  assert.equal(a.head.run.key, b.head.run.key);
  const merged = mergePartials([a, b], ['part-0.json', 'part-1.json']);
  assert.equal(merged.run?.key, a.head.run.key);
  assert.equal(merged.numExamples, 32);
  const other = await shard(1, { samples: 3 });
  assert.throws(() => mergePartials([a, other], ['part-0.json', 'part-1.json']), /part-1\.json comes from a different checkpoint, dataset or options than part-0\.json: option samples was 2, now 3/);
  utimesSync(ckpt, new Date(), new Date(Date.now() + 10_000));
  const later = await shard(1);
  assert.throws(() => mergePartials([a, later], ['part-0.json', 'part-1.json']), /the checkpoint file ep4_moe\.safetensors is not the same file/);
});
