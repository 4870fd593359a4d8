import { createHash } from 'node:crypto';
import { CacheBase, GENERATION_TTL_MS } from './cache-deps.js';
import type { FillLocks } from './fill-lock.js';
import { storeIfCurrent } from './redis-scripts.js';
import { SingleFlight } from './single-flight.js';

/**
 * Listings (pages of a query) in Redis, shared by every instance. Any write to any entity can change
 * any page (an order changes stock, a new product joins a category), so pages are not dropped one by
 * one: one generation counter covers them all. Each page is stored with the generation it was read
 * under and counts only while that is still the current one; a write bumps it (`invalidateAll`), and
 * a fill that raced the write is not stored (the same check as EntityCache).
 */
export class ListingCache<T> extends CacheBase<T> {
  /** Fills running in this process, by page and generation. */
  private readonly flights = new SingleFlight<T>();
  private owed = false;

  protected async redisBack(): Promise<void> {
    if (this.owed) await this.invalidateAll();
  }

  private readonly generationKey = this.keyOf('gen');

  /** The page `query` names (any JSON value: its arguments), from Redis or else from `load`. Never fails because of Redis. */
  async get(query: unknown, load: () => Promise<T>): Promise<T> {
    if (!this.deps.config.enabled) return load();
    const key = this.keyOf('page', createHash('sha256').update(JSON.stringify(query)).digest('base64url'));
    let read: { generation: string; value: T | undefined };
    try {
      read = await this.read(key);
    } catch (error) {
      this.failed(error);
      this.stats.bypassed++;
      return load();
    }
    if (read.value !== undefined) {
      this.stats.hits++;
      return read.value;
    }
    this.stats.misses++;
    return this.flights.run(`${key}@${read.generation}`, () => this.fill(key, read.generation, load));
  }

  /** Makes every stored page stale at once, on every instance. Never throws; retried when Redis is back if it failed. */
  async invalidateAll(): Promise<void> {
    if (!this.deps.config.enabled) return;
    try {
      await this.deps.redis.multi().incr(this.generationKey).pexpire(this.generationKey, GENERATION_TTL_MS).exec();
      this.owed = false;
      this.stats.invalidations++;
    } catch (error) {
      this.owed = true;
      this.failed(error);
    }
  }

  /** The current generation, and the page if it was stored under it. */
  private async read(key: string): Promise<{ generation: string; value: T | undefined }> {
    const [generation, stored] = await this.deps.redis.mget(this.generationKey, key);
    const current = generation ?? '';
    if (stored === null) return { generation: current, value: undefined };
    const newline = stored.indexOf('\n');
    if (stored.slice(0, newline) !== current) return { generation: current, value: undefined };
    try {
      return { generation: current, value: this.codec.decode(stored.slice(newline + 1)) };
    } catch {
      return { generation: current, value: undefined };
    }
  }

  private async fill(key: string, generation: string, load: () => Promise<T>): Promise<T> {
    const lockKey = `${key}:lock:${generation}`;
    let locks: Awaited<ReturnType<FillLocks['acquire']>>;
    try {
      locks = await this.locks.acquire([lockKey]);
    } catch (error) {
      this.failed(error);
      return load();
    }
    if (!locks.taken.has(lockKey)) {
      // Another instance is filling this page: wait for it (bounded), then read the database ourselves.
      try {
        const found = await this.locks.waitFor([key], async () => {
          const read = await this.read(key);
          return read.value !== undefined && read.generation === generation ? new Map([[key, read.value]]) : new Map<string, T>();
        });
        const value = found.get(key);
        if (value !== undefined) return value;
      } catch (error) {
        this.failed(error);
      }
      return this.loadAndStore(key, generation, load);
    }
    try {
      // Another instance may have filled and unlocked between our read and our lock: look once more.
      const stored = await this.read(key).catch((error: unknown) => {
        this.failed(error);
        return null;
      });
      if (stored?.value !== undefined && stored.generation === generation) return stored.value;
      return await this.loadAndStore(key, generation, load);
    } finally {
      await this.locks.release([lockKey], locks.token).catch((error: unknown) => this.failed(error));
    }
  }

  private async loadAndStore(key: string, generation: string, load: () => Promise<T>): Promise<T> {
    const value = await load();
    try {
      const stored = await storeIfCurrent(this.deps.redis, [
        {
          key,
          generationKey: this.generationKey,
          generation,
          value: `${generation}\n${this.codec.encode(value)}`,
          ttlMs: this.deps.config.listingTtlSeconds * 1000,
        },
      ]);
      if (stored === 1) this.stats.fills++;
      else this.stats.fillsDiscarded++;
    } catch (error) {
      this.failed(error);
    }
    return value;
  }
}
