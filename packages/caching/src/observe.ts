import type { ServiceMetrics } from '@supergraph/telemetry';
import type { CacheStats } from './stats.js';

/** What is read of a cache for metrics and /health. */
export interface CacheCounts {
  name: string;
  stats: CacheStats;
}

/**
 * The caches' running totals as Prometheus counters, read at scrape time (the hot path only adds
 * to plain numbers): requests by result, fills, invalidations and Redis errors, per cache.
 */
export function observeCaches(metrics: ServiceMetrics, caches: CacheCounts[]): void {
  const per = (read: (stats: CacheStats) => number) => () => caches.map((cache) => [{ cache: cache.name }, read(cache.stats)] as const);
  metrics.observedCounter(
    'cache_requests_total',
    'Cache look-ups by result: hit (negative_hit: a remembered missing id), miss, bypass (Redis away)',
    ['cache', 'result'],
    () =>
      caches.flatMap((cache) => [
        [{ cache: cache.name, result: 'hit' }, cache.stats.hits - cache.stats.negativeHits] as const,
        [{ cache: cache.name, result: 'negative_hit' }, cache.stats.negativeHits] as const,
        [{ cache: cache.name, result: 'miss' }, cache.stats.misses] as const,
        [{ cache: cache.name, result: 'bypass' }, cache.stats.bypassed] as const,
      ]),
  );
  metrics.observedCounter(
    'cache_fills_total',
    'Values stored in the cache after a miss',
    ['cache'],
    per((s) => s.fills),
  );
  metrics.observedCounter(
    'cache_fills_discarded_total',
    'Fills not stored because a write invalidated the key while the database was read',
    ['cache'],
    per((s) => s.fillsDiscarded),
  );
  metrics.observedCounter(
    'cache_invalidations_total',
    'Cache entries dropped by writes',
    ['cache'],
    per((s) => s.invalidations),
  );
  metrics.observedCounter(
    'cache_errors_total',
    'Redis commands of the cache that failed (served from the database instead)',
    ['cache'],
    per((s) => s.errors),
  );
}

/** For /health: whether caching is on, and each cache's counts and hit rate. */
export function cacheHealth(enabled: boolean, caches: CacheCounts[]): Record<string, unknown> {
  return {
    enabled,
    ...Object.fromEntries(
      caches.map((cache) => {
        const { hits, misses } = cache.stats;
        return [cache.name, { ...cache.stats, hitRate: hits + misses === 0 ? null : Number((hits / (hits + misses)).toFixed(3)) }];
      }),
    ),
  };
}
