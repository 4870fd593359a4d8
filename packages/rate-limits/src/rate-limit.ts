import { GraphQLError } from 'graphql';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { ErrorCode } from '@supergraph/runtime';

/** One budget: `points` per `durationSeconds` for each key (an account, an IP). */
export interface RateLimitRule {
  /** Names the budget in Redis keys and in the error clients see. */
  name: string;
  points: number;
  durationSeconds: number;
  /** Once over the budget, refused for this long (default: the rest of the window). */
  blockSeconds?: number;
}

/** A refused request: HTTP 429 with Retry-After at the gateway, `extensions.code` RATE_LIMITED. */
export function rateLimitedError(rule: RateLimitRule, retryAfterMs: number, message: string): GraphQLError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new GraphQLError(`${message}; try again in ${retryAfterSeconds} s`, {
    // No HTTP status here: a subgraph answering 429 would look to the gateway like a failed fetch.
    // The gateway turns RATE_LIMITED into 429 with Retry-After for its client.
    extensions: { code: ErrorCode.RateLimited, limit: rule.name, retryAfterSeconds },
  });
}

/**
 * A budget kept in Redis, so every instance of a service counts together. While Redis is away the
 * same budget is kept in this instance's memory (`insuranceLimiter`): limits stay on, per instance,
 * and no request is refused because the store is down.
 */
export function createRateLimit(rule: RateLimitRule, store: { redis: Redis | null; prefix: string }) {
  const options = {
    keyPrefix: `${store.prefix}:ratelimit:${rule.name}`,
    points: rule.points,
    duration: rule.durationSeconds,
    blockDuration: rule.blockSeconds ?? 0,
  };
  const memory = new RateLimiterMemory(options);
  const limiter: RateLimiterAbstract = store.redis
    ? new RateLimiterRedis({ ...options, storeClient: store.redis, rejectIfRedisNotReady: true, insuranceLimiter: memory })
    : memory;

  return {
    rule,
    /** Takes `points` (one by default) for `key`; throws RATE_LIMITED (with `message`) once the budget is spent. */
    async consume(key: string, message: string, points = 1): Promise<void> {
      try {
        await limiter.consume(key, points);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) throw rateLimitedError(rule, rejection.msBeforeNext, message);
        throw rejection;
      }
    },
    /** Gives `points` back to `key` (what was taken for something that did not happen, or was undone). */
    async giveBack(key: string, points: number): Promise<void> {
      await limiter.reward(key, points);
    },
    /** Forgets `key`'s count (e.g. after a successful login). */
    async reset(key: string): Promise<void> {
      await limiter.delete(key);
    },
  };
}

export type RateLimit = ReturnType<typeof createRateLimit>;
