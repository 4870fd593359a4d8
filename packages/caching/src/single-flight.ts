/**
 * One run of `work` per key at a time inside this process: callers arriving while it runs share its
 * result. (Across instances the Redis fill lock does the same job; see fill-lock.ts.)
 */
export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing;
    const started = work().finally(() => this.running.delete(key));
    this.running.set(key, started);
    return started;
  }

  /** The run in flight for `key`, if any. */
  inFlight(key: string): Promise<T> | undefined {
    return this.running.get(key);
  }

  get size(): number {
    return this.running.size;
  }
}
