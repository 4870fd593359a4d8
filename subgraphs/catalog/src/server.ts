import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { readPublicKeys } from '@supergraph/auth';
import { cacheHealth, observeCaches, readCacheConfig, type CacheConfig } from '@supergraph/caching';
import { readWholeNumber } from '@supergraph/runtime';
import {
  loadSubgraphConfig,
  runPeriodically,
  startSubgraph,
  type RunningSubgraph,
  type StartOptions,
  type SubgraphConfig,
} from '@supergraph/subgraph-kit';
import { createContext, ORDERS_SERVICE, type CatalogContext } from './context.js';
import { registerProductModel } from './model.js';
import { CatalogCache, invalidatingOnPublish } from './product-cache.js';
import { registerReservationModel } from './reservation-model.js';
import { Reservations } from './reservations.js';
import { resolvers } from './resolvers.js';

export { createContext } from './context.js';

export const CATALOG_DEFAULT_PORT = 4002;

/** Audience of the orders service's credentials: distinct from the gateway's ('catalog'), so neither can stand in for the other. */
export const CATALOG_INTERNAL_AUDIENCE = 'catalog-internal';

export interface CatalogConfig extends SubgraphConfig {
  /** How often each instance settles finished reservations (RESERVATION_SETTLE_INTERVAL_MS). */
  settleIntervalMs: number;
  /** Products and listings cached in Redis (CACHE, CACHE_TTL_SECONDS, CACHE_LISTING_TTL_SECONDS, …). */
  cache: CacheConfig;
}

export function loadCatalogConfig(env: Record<string, string | undefined> = process.env): CatalogConfig {
  const base = loadSubgraphConfig(env, CATALOG_DEFAULT_PORT);
  return {
    ...base,
    settleIntervalMs: readWholeNumber(env, 'RESERVATION_SETTLE_INTERVAL_MS', 30_000, 100, 3_600_000),
    cache: readCacheConfig(env),
    serviceCallers: [
      { issuer: ORDERS_SERVICE, audience: CATALOG_INTERNAL_AUDIENCE, keys: readPublicKeys(env, 'ORDERS_SERVICE_PUBLIC_KEYS') },
    ],
  };
}

/** Starts the catalog subgraph; port 0 picks a free port. No side effects on import. */
export function start(config: CatalogConfig, options: StartOptions = {}): Promise<RunningSubgraph> {
  return startSubgraph<CatalogContext>(
    {
      name: 'catalog',
      schemaUrl: new URL('../schema.graphql', import.meta.url),
      // The resolvers are typed by the generated `Resolvers` (typed parents, arguments and results);
      // @apollo/subgraph's GraphQLResolverMap is looser but declares every resolver as
      // (parent, args, context, info), while __resolveReference really is (reference, context, info),
      // so TypeScript will not take one for the other. At run time it is the same plain resolver map.
      resolvers: resolvers as GraphQLResolverMap<CatalogContext>,
      async setup({ connection, tokens, events: bus, logger, redis, metrics }) {
        const products = registerProductModel(connection);
        const records = registerReservationModel(connection);
        await products.syncIndexes();
        await records.syncIndexes();
        // The commands client fails fast (no offline queue, 1 s timeout): with Redis away, reads go to the database.
        // Keys name the database too: two deployments (or test stacks) sharing one Redis and prefix but
        // not a database must never serve each other's listings.
        const cache = new CatalogCache({ redis, prefix: `${config.redisPrefix}:${connection.name}`, config: config.cache, logger });
        observeCaches(metrics, cache.all);
        const events = invalidatingOnPublish(bus, cache);
        const reservations = new Reservations(products, records, events, logger);
        // Tidies the markers finished reservations leave on products (and finishes any give-back a crash cut short).
        const settling = runPeriodically('reservation settling', config.settleIntervalMs, () => reservations.settle(), logger);
        return {
          createContext: (authorization, caller) =>
            createContext({ products, reservations, tokens, events, logger, cache }, authorization, caller),
          onStop: () => settling.stop(),
          health: () => ({ cache: cacheHealth(config.cache.enabled, cache.all) }),
        };
      },
    },
    config,
    options,
  );
}
