/**
 * readAhead: the same items in the same order; the next item is requested before the consumer works on the current
 * one; a consumer that stops early closes the source after the read in flight; a failing read is thrown when its
 * item is reached (not before, and never as an unhandled rejection).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readAhead } from '../../../src/core/data/readAhead';

/** A source of 0..count-1 that logs what happens to it; item `failAt` fails. */
function source(count: number, log: string[], failAt = -1): AsyncIterable<number> {
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (let i = 0; i < count; i++) {
          await new Promise((r) => setTimeout(r, 1));
          if (i === failAt) throw new Error(`read ${i} failed`);
          log.push(`read ${i}`);
          yield i;
        }
      } finally {
        log.push('closed');
      }
    },
  };
}

describe('readAhead', () => {
  it('yields every item in order, each read before the one before it is used', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    for await (const x of readAhead(source(4, log))) {
      await new Promise((r) => setTimeout(r, 5));
      log.push(`used ${x}`);
      seen.push(x);
    }
    assert.deepEqual(seen, [0, 1, 2, 3]);
    assert.deepEqual(log, ['read 0', 'read 1', 'used 0', 'read 2', 'used 1', 'read 3', 'used 2', 'closed', 'used 3']);
  });

  it('closes the source when the consumer stops early', async () => {
    const log: string[] = [];
    for await (const x of readAhead(source(10, log))) if (x === 1) break;
    assert.deepEqual(log, ['read 0', 'read 1', 'read 2', 'closed']);
  });

  it('throws a failed read when its item is reached, after the items before it', async () => {
    const log: string[] = [];
    const seen: number[] = [];
    await assert.rejects((async () => {
      for await (const x of readAhead(source(5, log, 2))) {
        await new Promise((r) => setTimeout(r, 10));
        seen.push(x);
      }
    })(), /read 2 failed/);
    assert.deepEqual(seen, [0, 1]);
  });
});
