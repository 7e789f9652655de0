/**
 * Cache keys for analysis results: a result is reused only for the same checkpoint bytes (size + mtime), the
 * same dataset, the same result-changing settings and the same schema. Pure (no vscode, no fs).
 */
import { createHash } from 'node:crypto';
import { SCHEMA_VERSION } from '../core/analysis/schema';
import type { AnalysisSettings } from '../core/protocol/workerProtocol';

export interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

/** JSON with object keys sorted, so key order never changes a hash. */
export function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/**
 * @param engine what of the engine makes a result another one (the PyTorch engine: interpreter and device);
 *               undefined for the built-in engine, whose keys stay as they were.
 */
export function analysisCacheKey(checkpoint: FileStamp, dataset: FileStamp, settings: AnalysisSettings, engine?: Record<string, string>): string {
  const material = stableStringify({
    schema: SCHEMA_VERSION.split('.')[0],
    checkpoint: { path: checkpoint.path, size: checkpoint.size, mtime: Math.floor(checkpoint.mtimeMs) },
    dataset: { path: dataset.path, size: dataset.size, mtime: Math.floor(dataset.mtimeMs) },
    settings,
    ...(engine ? { engine } : {}),
  });
  return createHash('sha256').update(material).digest('hex').slice(0, 40);
}

export function isCacheKey(s: string): boolean {
  return /^[0-9a-f]{40}$/.test(s);
}
