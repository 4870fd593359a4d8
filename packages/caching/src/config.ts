import { readOnOff, readWholeNumber, type Env } from '@supergraph/runtime';

/** How a service caches shared reads in Redis (CACHE_* variables; see .env.example). */
export interface CacheConfig {
  /** CACHE=on|off (default on). Off: every read goes to the database, nothing is stored. */
  enabled: boolean;
  /** How long an entity read by id is kept (CACHE_TTL_SECONDS). Writes drop it sooner; this bounds what a lost invalidation costs. */
  entityTtlSeconds: number;
  /** How long a listing page is kept (CACHE_LISTING_TTL_SECONDS): shorter, since any write to any entity of it drops the lot. */
  listingTtlSeconds: number;
  /** How long "no such id" is remembered (CACHE_NEGATIVE_TTL_SECONDS), so repeated look-ups of a missing id spare the database. */
  negativeTtlSeconds: number;
  /** How long one instance holds the right to fill a key (CACHE_LOCK_MS); others wait at most that long, then read the database. */
  lockMs: number;
}

export const DEFAULT_CACHE_CONFIG: CacheConfig = {
  enabled: true,
  entityTtlSeconds: 60,
  listingTtlSeconds: 10,
  negativeTtlSeconds: 5,
  lockMs: 200,
};

export function readCacheConfig(env: Env): CacheConfig {
  const d = DEFAULT_CACHE_CONFIG;
  return {
    enabled: readOnOff(env, 'CACHE', d.enabled),
    entityTtlSeconds: readWholeNumber(env, 'CACHE_TTL_SECONDS', d.entityTtlSeconds, 1, 86_400),
    listingTtlSeconds: readWholeNumber(env, 'CACHE_LISTING_TTL_SECONDS', d.listingTtlSeconds, 1, 3_600),
    negativeTtlSeconds: readWholeNumber(env, 'CACHE_NEGATIVE_TTL_SECONDS', d.negativeTtlSeconds, 1, 600),
    lockMs: readWholeNumber(env, 'CACHE_LOCK_MS', d.lockMs, 10, 10_000),
  };
}
