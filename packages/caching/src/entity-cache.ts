import { CacheBase, GENERATION_TTL_MS } from './cache-deps.js';
import type { FillLocks } from './fill-lock.js';
import { invalidate, storeIfCurrent } from './redis-scripts.js';

/** Stored for an id the database does not have (negative caching); JSON never encodes to it. */
const MISSING = '-';

/** Reads the ids it is given from the database in one query; ids it does not return do not exist. */
export type LoadMany<T> = (ids: string[]) => Promise<Map<string, T>>;

interface Read<T> {
  found: Map<string, T | null>;
  /** Each id's generation as read with its value ('' before its first write). */
  generations: Map<string, string>;
}

/**
 * Entities by id in Redis, shared by every instance. A batch costs one MGET (values and their
 * generations together); the misses are read from the database in one query and stored with one
 * script that skips any id whose generation moved meanwhile, so a fill that raced a write never
 * stores what the write replaced. Written by hand on ioredis (already the project's client): the
 * generation check, batch MGET and negative entries are the point, and the caching libraries at hand
 * (keyv, cache-manager) offer per-key get/set without them.
 */
export class EntityCache<T> extends CacheBase<T> {
  /** Fills running in this process, by id and generation: a request joins one only if it read the same generation. */
  private readonly filling = new Map<string, Promise<T | null>>();
  /** Ids whose invalidation failed (Redis away); retried when Redis is back. */
  private readonly owed = new Set<string>();

  private valueKey = (id: string) => this.keyOf('v', id);
  private generationKey = (id: string) => this.keyOf('g', id);
  private lockKey = (id: string, generation: string) => this.keyOf('l', id, generation);

  /** Each id's entity, or null where the database has none. Never fails because of Redis. */
  async getMany(ids: string[], load: LoadMany<T>): Promise<Map<string, T | null>> {
    const unique = [...new Set(ids)];
    if (!this.deps.config.enabled || unique.length === 0) return withMissing(unique, await load(unique));
    let read: Read<T>;
    try {
      read = await this.read(unique);
    } catch (error) {
      this.failed(error);
      this.stats.bypassed += unique.length;
      return withMissing(unique, await load(unique));
    }
    this.stats.hits += read.found.size;
    for (const value of read.found.values()) if (value === null) this.stats.negativeHits++;
    const misses = unique.filter((id) => !read.found.has(id));
    this.stats.misses += misses.length;
    if (misses.length === 0) return read.found;

    const flightOf = (id: string) => `${id}@${read.generations.get(id) ?? ''}`;
    const own = misses.filter((id) => !this.filling.has(flightOf(id)));
    const fill = own.length > 0 ? this.fill(own, read.generations, load) : Promise.resolve(new Map<string, T | null>());
    for (const id of own) {
      const flight = flightOf(id);
      const one = fill.then((values) => values.get(id) ?? null);
      this.filling.set(flight, one);
      const done = () => {
        if (this.filling.get(flight) === one) this.filling.delete(flight);
      };
      one.then(done, done);
    }
    const result = new Map(read.found);
    await Promise.all(misses.map(async (id) => result.set(id, await this.filling.get(flightOf(id))!)));
    return result;
  }

  /**
   * Drops the ids' values and bumps their generations, after a write and before it is answered:
   * every instance misses from now on, and no fill begun before can store. Never throws; an
   * invalidation Redis refused is retried when it is back (meanwhile nobody can read the cache either).
   */
  async invalidate(ids: string[]): Promise<void> {
    if (!this.deps.config.enabled || ids.length === 0) return;
    try {
      await invalidate(
        this.deps.redis,
        ids.map((id) => ({ key: this.valueKey(id), generationKey: this.generationKey(id) })),
        GENERATION_TTL_MS,
      );
      this.stats.invalidations += ids.length;
    } catch (error) {
      this.failed(error);
      for (const id of ids) this.owed.add(id);
    }
  }

  protected async redisBack(): Promise<void> {
    const ids = [...this.owed];
    this.owed.clear();
    await this.invalidate(ids);
  }

  private async read(ids: string[]): Promise<Read<T>> {
    const replies = await this.deps.redis.mget(...ids.map(this.valueKey), ...ids.map(this.generationKey));
    const found = new Map<string, T | null>();
    const generations = new Map<string, string>();
    ids.forEach((id, i) => {
      generations.set(id, replies[ids.length + i] ?? '');
      const text = replies[i];
      if (text === null) return;
      const value = text === MISSING ? null : this.decode(text);
      if (value !== undefined) found.set(id, value);
    });
    return { found, generations };
  }

  /** What Redis holds of `ids`, or nothing when Redis fails (the caller reads the database). */
  private async readOrNothing(ids: string[]): Promise<Map<string, T | null>> {
    if (ids.length === 0) return new Map();
    try {
      return (await this.read(ids)).found;
    } catch (error) {
      this.failed(error);
      return new Map();
    }
  }

  /** A value that no longer decodes (an older shape after a deploy) is a miss, not an error. */
  private decode(text: string): T | undefined {
    try {
      return this.codec.decode(text);
    } catch {
      return undefined;
    }
  }

  /** Misses: this instance fills the ids whose lock it takes; for the rest it waits for the instance filling them. */
  private async fill(ids: string[], generations: Map<string, string>, load: LoadMany<T>): Promise<Map<string, T | null>> {
    const lockOf = (id: string) => this.lockKey(id, generations.get(id) ?? '');
    let locks: Awaited<ReturnType<FillLocks['acquire']>>;
    try {
      locks = await this.locks.acquire(ids.map(lockOf));
    } catch (error) {
      this.failed(error);
      return withMissing(ids, await load(ids));
    }
    const mine = ids.filter((id) => locks.taken.has(lockOf(id)));
    const others = ids.filter((id) => !locks.taken.has(lockOf(id)));
    try {
      // Another instance may have filled and unlocked between our read and our lock: look once more.
      const stored = await this.readOrNothing(mine);
      const toLoad = mine.filter((id) => !stored.has(id));
      const [filled, waited] = await Promise.all([
        this.loadAndStore(toLoad, generations, load),
        this.waitForOthers(others, generations, load),
      ]);
      return new Map([...stored, ...filled, ...waited]);
    } finally {
      if (mine.length > 0) await this.locks.release(mine.map(lockOf), locks.token).catch((error: unknown) => this.failed(error));
    }
  }

  private async loadAndStore(ids: string[], generations: Map<string, string>, load: LoadMany<T>): Promise<Map<string, T | null>> {
    if (ids.length === 0) return new Map();
    const loaded = withMissing(ids, await load(ids));
    const { entityTtlSeconds, negativeTtlSeconds } = this.deps.config;
    const stores = ids.map((id) => {
      const value = loaded.get(id) ?? null;
      return {
        key: this.valueKey(id),
        generationKey: this.generationKey(id),
        generation: generations.get(id) ?? '',
        value: value === null ? MISSING : this.codec.encode(value),
        ttlMs: (value === null ? negativeTtlSeconds : entityTtlSeconds) * 1000,
      };
    });
    try {
      const stored = await storeIfCurrent(this.deps.redis, stores);
      this.stats.fills += stored;
      this.stats.fillsDiscarded += ids.length - stored;
    } catch (error) {
      this.failed(error);
    }
    return loaded;
  }

  private async waitForOthers(ids: string[], generations: Map<string, string>, load: LoadMany<T>): Promise<Map<string, T | null>> {
    if (ids.length === 0) return new Map();
    let found = new Map<string, T | null>();
    try {
      found = await this.locks.waitFor(ids, async (pending) => (await this.read(pending)).found);
    } catch (error) {
      this.failed(error); // Redis failed while waiting: read the database
    }
    // The other instance did not finish within its lock's life: read the database (and store, safely).
    const rest = ids.filter((id) => !found.has(id));
    return new Map([...found, ...(await this.loadAndStore(rest, generations, load))]);
  }
}

function withMissing<T>(ids: string[], loaded: Map<string, T>): Map<string, T | null> {
  return new Map(ids.map((id) => [id, loaded.get(id) ?? null]));
}
