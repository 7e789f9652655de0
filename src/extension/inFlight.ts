/**
 * Analyses running now, by cache key: asking for an analysis that is already running joins that run instead of
 * starting an identical one (three clicks on Analyze Experts are one analysis, one progress notification). Keyed
 * by whatever key the result cache uses, so "identical" means exactly "would produce the same cached result".
 * No vscode import.
 */
export class InFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** The run of `key` in progress, if any. */
  get(key: string): Promise<T> | undefined {
    return this.running.get(key);
  }

  /** Start `work` for `key`, unless a run of `key` is in progress: then that run's promise, `joined: true`. */
  run(key: string, work: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = work().finally(() => {
      if (this.running.get(key) === promise) this.running.delete(key);
    });
    this.running.set(key, promise);
    return { promise, joined: false };
  }

  get size(): number {
    return this.running.size;
  }
}
