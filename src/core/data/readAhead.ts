/**
 * Reads one item ahead of its consumer: the next batch is being read (file reads and gunzip run off the JS thread)
 * while the current one is computed, instead of after it. A consumer that stops early closes the source once the
 * read in flight has settled; a read that fails is reported when its item is reached, as without reading ahead.
 */
export async function* readAhead<T>(source: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
  const it = source[Symbol.asyncIterator]();
  let pending = it.next();
  // Its failure is thrown when it is awaited below; until then it must not count as unhandled.
  pending.catch(() => undefined);
  let finished = false;
  try {
    for (;;) {
      const r = await pending;
      if (r.done) {
        finished = true;
        return;
      }
      pending = it.next();
      pending.catch(() => undefined);
      yield r.value;
    }
  } finally {
    if (!finished) {
      await pending.catch(() => undefined);
      await it.return?.();
    }
  }
}
