/**
 * Collapse per-expert tensors that differ only in the expert number (`blocks.6.mlp.experts.{0–63}.fc1.weight`)
 * into one row, so a table of thousands of tensors stays readable.
 */
import type { DType } from '../../core/io/types';

export interface TensorRowInput {
  name: string;
  dtype: DType;
  shape: number[];
  byteLength: number;
  meta?: boolean;
}

export interface TensorGroup {
  /** The name, or the pattern with the expert numbers in braces. */
  name: string;
  dtype: DType;
  shape: number[];
  /** Tensors in the group (1 for an ordinary tensor). */
  count: number;
  /** Bytes of all of them. */
  byteLength: number;
  /** Meta tensors (no data). */
  meta?: boolean;
}

const EXPERT = /^((?:.*\.)?experts\.)(\d{1,6})(\..+)$/;

/** Groups in order of their first tensor. */
export function groupTensors(tensors: readonly TensorRowInput[]): TensorGroup[] {
  const groups = new Map<string, { head: string; tail: string; indices: number[]; first: TensorRowInput; bytes: number }>();
  const order: Array<string | TensorRowInput> = [];
  for (const t of tensors) {
    const m = EXPERT.exec(t.name);
    if (!m) {
      order.push(t);
      continue;
    }
    const key = `${m[1]}*${m[3]}|${t.dtype}|${t.shape.join(',')}|${t.meta ? 'meta' : ''}`;
    const g = groups.get(key);
    if (g) {
      g.indices.push(Number(m[2]));
      g.bytes += t.byteLength;
    } else {
      groups.set(key, { head: m[1], tail: m[3], indices: [Number(m[2])], first: t, bytes: t.byteLength });
      order.push(key);
    }
  }
  return order.map((o) => {
    if (typeof o !== 'string') return { name: o.name, dtype: o.dtype, shape: o.shape, count: 1, byteLength: o.byteLength, ...(o.meta ? { meta: true } : {}) };
    const g = groups.get(o)!;
    const name = g.indices.length === 1 ? g.first.name : `${g.head}{${indexList(g.indices)}}${g.tail}`;
    return { name, dtype: g.first.dtype, shape: g.first.shape, count: g.indices.length, byteLength: g.bytes, ...(g.first.meta ? { meta: true } : {}) };
  });
}

/** '0–63' for a run, '0,2,5' for a few, '0,1,…,99 (40)' otherwise. */
function indexList(indices: number[]): string {
  const s = [...indices].sort((a, b) => a - b);
  if (s.every((v, i) => i === 0 || v === s[i - 1] + 1)) return `${s[0]}–${s[s.length - 1]}`;
  if (s.length <= 6) return s.join(',');
  return `${s[0]},${s[1]},…,${s[s.length - 1]} (${s.length})`;
}
