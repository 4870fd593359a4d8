import { ApolloServer, type BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { parse, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { readFileSync } from 'node:fs';
import { ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

// Codes that describe the client's own mistake; everything else is masked.
const CLIENT_ERROR_CODES = new Set<string>([
  ErrorCode.Unauthenticated,
  ErrorCode.Forbidden,
  ErrorCode.BadUserInput,
  ErrorCode.NotFound,
  ErrorCode.OutOfStock,
  ErrorCode.Conflict,
  ErrorCode.GraphQLParseFailed,
  ErrorCode.GraphQLValidationFailed,
  ErrorCode.BadRequest,
  ErrorCode.ServiceUnavailable,
  ErrorCode.SubgraphUnavailable,
  ErrorCode.SlowConsumer,
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Keeps client errors as they are and replaces anything unexpected with a
 * generic message, logging the original server-side (never sent to clients).
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const { stacktrace: _ignored, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    logger.error('unexpected error', { error, path: formatted.path });
    return { message: 'Internal server error', path: formatted.path, locations: formatted.locations, extensions: { code: ErrorCode.Internal } };
  };
}

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
}): ApolloServer<TContext> {
  return new ApolloServer<TContext>({
    schema: options.schema,
    // Subgraphs are reached through the gateway; clients explore there.
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    formatError: createErrorFormatter(options.logger),
    // runService owns SIGINT/SIGTERM and stops HTTP, Apollo and the clients in order.
    stopOnTerminationSignals: false,
  });
}
