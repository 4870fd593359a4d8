import type { Redis } from 'ioredis';
import type { Logger } from '@supergraph/runtime';
import type { CacheConfig } from './config.js';
import { FillLocks } from './fill-lock.js';
import { emptyStats, type CacheStats } from './stats.js';

/** Turns a cached value into the text stored in Redis and back (dates and ids need reviving). */
export interface Codec<T> {
  encode(value: T): string;
  decode(text: string): T;
}

/** What every cache of a service shares: the fail-fast Redis client, the deployment's key prefix, the settings. */
export interface CacheDeps {
  /** A client with no offline queue and a command timeout (runtime's FAIL_FAST_REDIS_OPTIONS): a cache must never hold a request. */
  redis: Redis;
  /** REDIS_PREFIX, so deployments sharing one Redis keep apart. */
  prefix: string;
  config: CacheConfig;
  logger: Logger;
}

/** Generations outlive every value they guard by far (values live seconds to minutes). */
export const GENERATION_TTL_MS = 24 * 60 * 60 * 1000;

/** Redis failing is logged at most this often per cache; the Redis client already logs the outage itself. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/** The parts every cache has: its name, counts, codec, fill locks, and how a Redis failure is recorded. */
export abstract class CacheBase<T> {
  readonly stats: CacheStats = emptyStats();
  protected readonly locks: FillLocks;
  private lastErrorLog = 0;

  constructor(
    readonly name: string,
    protected readonly deps: CacheDeps,
    protected readonly codec: Codec<T>,
  ) {
    this.locks = new FillLocks(deps.redis, deps.config.lockMs);
    deps.redis.on('ready', () => void this.redisBack());
  }

  /** Redis is reachable again: repeat the invalidations it refused meanwhile. */
  protected abstract redisBack(): Promise<void>;

  protected keyOf(...parts: string[]): string {
    return [this.deps.prefix, 'cache', this.name, ...parts].join(':');
  }

  /** A Redis command failed: count it and go on without the cache (the caller reads the database). */
  protected failed(error: unknown): void {
    this.stats.errors++;
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLog = now;
    this.deps.logger.warn('cache unavailable; reading the database', {
      cache: this.name,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
