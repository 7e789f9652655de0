import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InFlight } from '../../../src/extension/inFlight';

function deferred<T>(): { promise: Promise<T>; resolve(v: T): void; reject(e: unknown): void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

test('a second run of the same key joins the first; other keys run on their own', async () => {
  const runs = new InFlight<string>();
  let started = 0;
  const d = deferred<string>();
  const a = runs.run('k1', () => { started++; return d.promise; });
  const b = runs.run('k1', () => { started++; return Promise.resolve('second'); });
  const c = runs.run('k2', () => { started++; return Promise.resolve('other'); });
  assert.equal(a.joined, false);
  assert.equal(b.joined, true);
  assert.equal(c.joined, false);
  assert.equal(started, 2, 'the identical run was not started');
  assert.equal(runs.get('k1'), a.promise);
  d.resolve('first');
  assert.deepEqual(await Promise.all([a.promise, b.promise, c.promise]), ['first', 'first', 'other']);
  assert.equal(runs.size, 0, 'finished runs are forgotten');
  const again = runs.run('k1', () => Promise.resolve('fresh'));
  assert.equal(again.joined, false, 'after it finished, the key runs again');
  assert.equal(await again.promise, 'fresh');
});

test('a failed or cancelled run fails everyone who joined it, and is forgotten', async () => {
  const runs = new InFlight<string>();
  const d = deferred<string>();
  const a = runs.run('k', () => d.promise);
  const b = runs.run('k', () => Promise.resolve('never'));
  d.reject(new Error('Cancelled.'));
  await assert.rejects(a.promise, /Cancelled/);
  await assert.rejects(b.promise, /Cancelled/);
  assert.equal(runs.get('k'), undefined);
});
