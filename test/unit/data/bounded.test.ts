/**
 * Memory stays bounded by the batch size: checked through instrumented sources, not timings. A random-access
 * source must never be asked for more than one batch of records at once; a stream reader must never hold more than
 * one batch plus one chunk of the underlying stream, even when it skips most of a large payload.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ByteSource } from '../../../src/core/io/types';
import { createDataset } from '../../../src/core/data/createDataset';
import { randomAccessRecords, streamRecords } from '../../../src/core/data/recordSource';
import type { StreamReader } from '../../../src/core/data/streamReader';

const RECORD = 784;
const COUNT = 50_000; // 39 MB of images if anything gathered them

/** A virtual source of `size` bytes whose byte at i is i mod 251; records the largest read. */
function virtualSource(size: number): ByteSource & { maxRead: number; reads: number } {
  const s = {
    size,
    maxRead: 0,
    reads: 0,
    async read(offset: number, length: number): Promise<Uint8Array> {
      s.maxRead = Math.max(s.maxRead, length);
      s.reads++;
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) out[i] = (offset + i) % 251;
      return out;
    },
    async close(): Promise<void> {},
  };
  return s;
}

/** A virtual stream of `size` bytes (same pattern) in chunks of `chunk`. */
async function* virtualStream(size: number, chunk: number, from = 0): AsyncIterable<Uint8Array> {
  for (let o = from; o < size; o += chunk) {
    const n = Math.min(chunk, size - o);
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (o + i) % 251;
    yield out;
  }
}

function datasetOver(records: ReturnType<typeof randomAccessRecords>) {
  return createDataset({
    name: 'virtual',
    path: '<virtual>',
    format: 'idx',
    split: 'test',
    count: COUNT,
    shape: [28, 28, 1],
    numClasses: 1,
    classNames: ['0'],
    async *read(start, end, max) {
      for await (const run of records.runs(start, end, max)) {
        const x = new Float32Array(run.length);
        for (let i = 0; i < run.length; i++) x[i] = run[i] / 255;
        yield { x, y: new Int32Array(run.length / RECORD) };
      }
    },
    close: async () => undefined,
  });
}

test('random access: no read is larger than one batch, and values come from the right offsets', async () => {
  const src = virtualSource(16 + COUNT * RECORD);
  const ds = datasetOver(randomAccessRecords(src, 16, COUNT, RECORD));
  let seen = 0;
  for await (const b of ds.batches(32, { start: 40_000, end: 41_000 })) {
    assert.equal(b.x[0], Math.fround(((16 + b.start * RECORD) % 251) / 255));
    seen += b.size;
  }
  assert.equal(seen, 1000);
  assert.equal(src.maxRead, 32 * RECORD);
  assert.equal(src.reads, Math.ceil(1000 / 32));
});

test('stream: skipping 39 MB to reach the last batches holds at most one batch plus one chunk', async () => {
  const chunk = 4096;
  const readers: StreamReader[] = [];
  const records = streamRecords('<virtual stream>', async () => ({ stream: virtualStream(16 + COUNT * RECORD, chunk), at: 0 }), 16, COUNT, RECORD, (r) => readers.push(r));
  const ds = datasetOver(records);
  let last = -1;
  for await (const b of ds.batches(8, { start: COUNT - 20 })) {
    assert.equal(b.x[RECORD - 1], Math.fround(((16 + (b.start + 1) * RECORD - 1) % 251) / 255));
    last = b.start + b.size;
  }
  assert.equal(last, COUNT);
  assert.equal(readers.length, 1);
  assert.ok(readers[0].position >= COUNT * RECORD, 'the whole payload went through the reader');
  assert.ok(readers[0].peakBuffered <= 8 * RECORD + chunk, `peak ${readers[0].peakBuffered} bytes`);
});

test('stream: a source that can start at an offset (stored zip entry) is not read from the start', async () => {
  const readers: StreamReader[] = [];
  let openedAt = -1;
  const size = 16 + COUNT * RECORD;
  const records = streamRecords('<stored entry>', async (o) => {
    openedAt = o;
    return { stream: virtualStream(size, 4096, o), at: o };
  }, 16, COUNT, RECORD, (r) => readers.push(r));
  const ds = datasetOver(records);
  for await (const _ of ds.batches(10, { start: COUNT - 10 })) void _;
  assert.equal(openedAt, 16 + (COUNT - 10) * RECORD);
  assert.ok(readers[0].position === 10 * RECORD);
});
