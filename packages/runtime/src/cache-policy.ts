import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { OperationTypeNode } from 'graphql';

/**
 * What a response may say before anything decides otherwise: nothing is cacheable. A response that
 * never reached Apollo Server's cache control plugin (a refused request, an error thrown before
 * execution) carries this, so no CDN keeps it.
 */
export const UNCACHEABLE = 'no-store';

/**
 * Only queries may be cached. Apollo Server's cache control plugin prices a mutation like a query,
 * so `createProduct` (which returns a Product, cacheable for a minute) would be answered
 * `max-age=60, public`; a CDN could then replay one user's write to the next. Restricting the
 * request's policy to maxAge 0 makes every mutation (and anything else that is not a query)
 * answer `no-store`, whatever its fields' hints say.
 */
export function onlyQueriesAreCacheable<TContext extends BaseContext>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, overallCachePolicy }) {
          if (operation?.operation !== OperationTypeNode.QUERY) overallCachePolicy.restrict({ maxAge: 0 });
        },
      };
    },
  };
}
