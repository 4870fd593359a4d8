import type { Redis } from 'ioredis';
import type { Logger } from '@supergraph/runtime';
import { hashOfKey } from './apq-key.js';

/**
 * How long a registered document is kept. A client that misses re-registers it in one extra round
 * trip, so expiry costs little, and it bounds what documents anyone may register can take in Redis.
 */
export const APQ_TTL_SECONDS = 24 * 60 * 60;

/**
 * The hash → document store of automatic persisted queries (Apollo Server's KeyValueCache shape),
 * in Redis so a document registered through one gateway instance is found by every other.
 *
 * Written over the project's ioredis client rather than taken from keyv/@keyv/redis: that adapter
 * brings a second Redis client library (node-redis) with its own queueing and reconnection, outside
 * the fail-fast options, outage logging and tracing every other Redis use here has.
 *
 * Redis being away never fails a request: a lookup that fails is a miss (the client then sends the
 * document, which is served), and a failed registration is only logged. The client must be
 * fail-fast (FAIL_FAST_REDIS_OPTIONS) so neither waits on an offline queue.
 */
export class RedisDocumentStore {
  private failing = false;

  constructor(
    private readonly redis: Redis,
    /** REDIS_PREFIX: every key of the deployment starts with it. */
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  /** The Redis key of an APQ store key, or undefined for one that holds no hash. */
  private redisKey(key: string): string | undefined {
    const hash = hashOfKey(key);
    return hash && `${this.prefix}:apq:${hash}`;
  }

  async get(key: string): Promise<string | undefined> {
    const redisKey = this.redisKey(key);
    if (!redisKey) return undefined;
    try {
      const document = await this.redis.get(redisKey);
      this.recovered();
      return document ?? undefined;
    } catch (error) {
      this.failed('lookup', error);
      return undefined;
    }
  }

  async set(key: string, document: string, options?: { ttl?: number | null }): Promise<void> {
    const redisKey = this.redisKey(key);
    if (!redisKey) return;
    try {
      await this.redis.set(redisKey, document, 'EX', options?.ttl ?? APQ_TTL_SECONDS);
      this.recovered();
    } catch (error) {
      this.failed('registration', error);
    }
  }

  async delete(key: string): Promise<boolean> {
    const redisKey = this.redisKey(key);
    if (!redisKey) return false;
    try {
      return (await this.redis.del(redisKey)) > 0;
    } catch (error) {
      this.failed('removal', error);
      return false;
    }
  }

  /** One warning per outage, not one per request (the hash and document are never logged). */
  private failed(what: string, error: unknown): void {
    if (this.failing) return;
    this.failing = true;
    this.logger.warn('persisted query store unavailable: hashes miss until Redis is back, full documents are still served', {
      operation: what,
      error: (error as Error).message,
    });
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.logger.info('persisted query store back');
  }
}
