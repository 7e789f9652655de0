/**
 * Fixed-size records (one image, one label) read in runs: the unit every dataset reader is built on.
 *
 * A run is at most `maxRecords` records, read into one fresh buffer; nothing else is kept between runs, so memory
 * is bounded by the batch size. Random-access sources (raw files) read each run by offset; stream sources
 * (gzip, deflated zip entries) decompress from the start and drop what lies before `start`.
 */
import type { ByteSource } from '../io/types';
import { StreamReader } from './streamReader';

export interface RecordSource {
  readonly count: number;
  readonly recordBytes: number;
  /** Records [start, end) in consecutive runs of min(maxRecords, remaining) records. */
  runs(start: number, end: number, maxRecords: number): AsyncIterable<Uint8Array>;
}

/** Records stored at `offset` in a random-access source. */
export function randomAccessRecords(src: ByteSource, offset: number, count: number, recordBytes: number): RecordSource {
  return {
    count,
    recordBytes,
    async *runs(start, end, maxRecords) {
      for (let i = start; i < end; i += maxRecords) {
        const n = Math.min(maxRecords, end - i);
        yield await src.read(offset + i * recordBytes, n * recordBytes);
      }
    },
  };
}

/** A stream that starts at byte `at` (≤ the offset asked for) of its payload. */
export interface OpenedStream {
  stream: AsyncIterable<Uint8Array>;
  at: number;
}

/** Records at byte `offset` of a payload that can only be read as a stream from (roughly) a given offset. */
export function streamRecords(
  label: string,
  openAt: (offset: number) => Promise<OpenedStream>,
  offset: number,
  count: number,
  recordBytes: number,
  onReader?: (r: StreamReader) => void,
): RecordSource {
  return {
    count,
    recordBytes,
    async *runs(start, end, maxRecords) {
      if (start >= end) return;
      const first = offset + start * recordBytes;
      const opened = await openAt(first);
      const reader = new StreamReader(opened.stream, label);
      onReader?.(reader);
      try {
        await reader.skip(first - opened.at);
        for (let i = start; i < end; i += maxRecords) {
          const n = Math.min(maxRecords, end - i);
          yield await reader.readExact(n * recordBytes);
        }
      } finally {
        await reader.close();
      }
    },
  };
}

/** Several record sources of the same record size, one after another (CIFAR-10's five training batches). */
export function concatRecords(parts: RecordSource[]): RecordSource {
  const recordBytes = parts[0].recordBytes;
  const count = parts.reduce((s, p) => s + p.count, 0);
  return {
    count,
    recordBytes,
    async *runs(start, end, maxRecords) {
      // Gather runs of exactly maxRecords across part boundaries.
      let pending: Uint8Array[] = [];
      let pendingRecords = 0;
      let base = 0;
      for (const part of parts) {
        const lo = Math.max(start, base) - base;
        const hi = Math.min(end, base + part.count) - base;
        base += part.count;
        if (lo >= hi) continue;
        let i = lo;
        while (i < hi) {
          const want = Math.min(maxRecords - pendingRecords, hi - i);
          for await (const run of part.runs(i, i + want, want)) pending.push(run);
          pendingRecords += want;
          i += want;
          if (pendingRecords === maxRecords) {
            yield join(pending, pendingRecords * recordBytes);
            pending = [];
            pendingRecords = 0;
          }
        }
      }
      if (pendingRecords > 0) yield join(pending, pendingRecords * recordBytes);
    },
  };
}

function join(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
