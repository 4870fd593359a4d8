import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { createErrorFormatter, MAX_BODY_BYTES, type Logger } from '@supergraph/runtime';

export interface SubscriptionServer {
  /** Open client sockets right now. */
  connections(): number;
  /** Closes every socket with 1001 (going away) and stops accepting. */
  close(): Promise<void>;
}

/**
 * Serves GraphQL over WebSocket (the graphql-transport-ws protocol) on the
 * HTTP server's /graphql path, executing against `schema`.
 */
export function serveSubscriptions<TContext>(
  server: Server,
  options: {
    schema: GraphQLSchema;
    logger: Logger;
    context: (connectionParams: Readonly<Record<string, unknown>> | undefined) => Promise<TContext>;
    keepAliveMs: number;
    path?: string;
  },
): SubscriptionServer {
  const wss = new WebSocketServer({ server, path: options.path ?? '/graphql', maxPayload: MAX_BODY_BYTES });
  const format = createErrorFormatter(options.logger);
  const disposable = useServer<Record<string, unknown>>(
    {
      schema: options.schema,
      context: (ctx) => options.context(ctx.connectionParams),
      // Same masking as HTTP: client errors keep their code, anything unexpected becomes INTERNAL_SERVER_ERROR.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => format(e.toJSON(), e)) } : undefined,
      onError: (_ctx, _id, _payload, errors: readonly GraphQLError[]) => {
        options.logger.warn('subscription refused', { errors: errors.map((e) => e.message) });
      },
    },
    wss,
    options.keepAliveMs,
  );
  return {
    connections: () => wss.clients.size,
    close: async () => {
      await disposable.dispose();
    },
  };
}
