import type { ApolloServerOptions, ApolloServerPlugin, BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, type Logger, type RequestedOperation } from '@supergraph/runtime';
import type { PersistedQueriesConfig } from '../config.js';
import { APQ_TTL_SECONDS, RedisDocumentStore } from './redis-document-store.js';
import { Safelist, safelistPlugin } from './safelist.js';

export interface PersistedQueries<TContext extends BaseContext> {
  /** Apollo Server's `persistedQueries` option. */
  option: ApolloServerOptions<TContext>['persistedQueries'];
  plugins: ApolloServerPlugin<TContext>[];
  /** For createGraphQLHandler's checkOperation (safelist only). */
  checkOperation?: (operation: RequestedOperation) => GraphQLError | null;
  close(): void;
}

/**
 * What PERSISTED_QUERIES asks for: 'off' (documents only; a hash gets PERSISTED_QUERY_NOT_SUPPORTED),
 * 'apq' (automatic persisted queries, the documents shared by every instance in Redis) or
 * 'safelist' (the manifest's operations only).
 */
export function createPersistedQueries<TContext extends BaseContext>(
  config: PersistedQueriesConfig,
  redis: { url: string; prefix: string },
  logger: Logger,
): PersistedQueries<TContext> {
  if (config.mode === 'off') return { option: false, plugins: [], close: () => {} };
  if (config.mode === 'safelist') {
    const safelist = new Safelist(config.operations);
    logger.info('serving registered operations only', { operations: config.operations.length });
    return {
      option: { cache: safelist.documentStore() },
      plugins: [safelistPlugin<TContext>(safelist)],
      checkOperation: (operation) => safelist.check(operation),
      close: () => {},
    };
  }
  // A client of its own, fail-fast: a lookup must never wait for Redis to come back.
  const client = createRedisClient(redis.url, logger, 'gateway-persisted-queries', { ...FAIL_FAST_REDIS_OPTIONS });
  return {
    option: { cache: new RedisDocumentStore(client, redis.prefix, logger), ttl: APQ_TTL_SECONDS },
    plugins: [],
    close: () => client.disconnect(),
  };
}
