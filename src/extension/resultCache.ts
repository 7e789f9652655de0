/**
 * Analysis results on disk (the extension passes its workspace storage folder). One JSON file per key, written
 * atomically; unreadable or foreign files read as a miss, never a throw.
 */
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isSupportedSchema } from '../core/analysis/schema';
import type { AnalysisResult } from '../core/analysis/schema';
import { isCacheKey } from './cacheKey';

export class ResultCache {
  constructor(private readonly dir: string, private readonly maxEntries = 50) {}

  private file(key: string): string {
    if (!isCacheKey(key)) throw new Error(`not a cache key: ${key}`);
    return join(this.dir, `${key}.json`);
  }

  async get(key: string): Promise<AnalysisResult | null> {
    if (!isCacheKey(key)) return null;
    try {
      const v: unknown = JSON.parse(await readFile(this.file(key), 'utf8'));
      return isSupportedSchema(v) ? v : null;
    } catch {
      return null;
    }
  }

  async put(key: string, result: AnalysisResult): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const target = this.file(key);
    const tmp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify(result));
    await rename(tmp, target);
    await this.prune();
  }

  async delete(key: string): Promise<void> {
    if (isCacheKey(key)) await rm(this.file(key), { force: true });
  }

  /** Keep the newest `maxEntries` results. */
  private async prune(): Promise<void> {
    const names = (await readdir(this.dir)).filter((n) => /^[0-9a-f]{40}\.json$/.test(n));
    if (names.length <= this.maxEntries) return;
    const withTime = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(this.dir, n))).mtimeMs })));
    withTime.sort((a, b) => b.t - a.t);
    await Promise.all(withTime.slice(this.maxEntries).map((x) => rm(join(this.dir, x.n), { force: true })));
  }
}
