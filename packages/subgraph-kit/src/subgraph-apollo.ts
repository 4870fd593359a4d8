import { ApolloServer, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import type { OperationLimiter } from '@supergraph/limits';
import { createErrorFormatter, onlyQueriesAreCacheable, type FailureTranslator, type Logger } from '@supergraph/runtime';

/** Reads a subgraph's SDL file given as a URL relative to the calling module. */
export function loadSchemaFile(url: URL) {
  return parse(readFileSync(url, 'utf8'));
}

/** The subgraph's executable schema: its SDL file plus resolvers, federation fields added. */
export function createSubgraphSchema<TContext>(schemaUrl: URL, resolvers: GraphQLResolverMap<TContext>): GraphQLSchema {
  return buildSubgraphSchema([{ typeDefs: loadSchemaFile(schemaUrl), resolvers: resolvers as GraphQLResolverMap<unknown> }]);
}

export function createSubgraphApollo<TContext extends BaseContext>(options: {
  schema: GraphQLSchema;
  logger: Logger;
  production: boolean;
  /** The gateway checks the same limits first; checking again here holds for any caller that reaches a subgraph. */
  limits: OperationLimiter;
  /** Failures clients are told about in general terms (the database being away); see createErrorFormatter. */
  translate?: FailureTranslator;
  /** More plugins (the service's request metrics). */
  plugins?: ApolloServerPlugin<TContext>[];
}): ApolloServer<TContext> {
  const { limits } = options;
  return new ApolloServer<TContext>({
    schema: options.schema,
    // Subgraphs are reached through the gateway; clients explore there.
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginInlineTraceDisabled(),
      limits.apolloPlugin,
      // The schema's @cacheControl hints become this subgraph's Cache-Control header (Apollo Server's
      // built-in plugin), which the gateway combines across subgraphs; mutations are never cacheable.
      onlyQueriesAreCacheable<TContext>(),
      ...(options.plugins ?? []),
    ],
    validationRules: limits.validationRules,
    hideSchemaDetailsFromClientErrors: options.production,
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(options.logger, { translate: options.translate }),
    // runService owns SIGINT/SIGTERM and stops HTTP, Apollo and the clients in order.
    stopOnTerminationSignals: false,
  });
}
