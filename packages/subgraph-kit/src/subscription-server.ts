import type { Server } from 'node:http';
import { context, type Context } from '@opentelemetry/api';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  OperationTypeNode,
  getOperationAST,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from 'graphql';
import { SERVICE_CREDENTIAL_PARAM, type CredentialVerifier } from '@supergraph/auth';
import type { OperationLimiter } from '@supergraph/limits';
import { inSubscriptionTrace } from './event-tracing.js';
import { closeGoingAway, createErrorFormatter, ErrorCode, MAX_BODY_BYTES, type FailureTranslator, type Logger } from '@supergraph/runtime';

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
    /** Who may connect: the socket's connection_init must carry a credential one of these signed. */
    callers: CredentialVerifier;
    /** The context of one subscription, from the socket's connection_init and the service that opened it. */
    context: (connectionParams: Readonly<Record<string, unknown>> | undefined, service: string) => Promise<TContext>;
    keepAliveMs: number;
    /** The same operation limits as the HTTP path. */
    limits: OperationLimiter;
    /** No introspection in production, as over HTTP. */
    production: boolean;
    /** Failures clients are told about in general terms (the database being away), as over HTTP. */
    translate?: FailureTranslator;
    path?: string;
  },
): SubscriptionServer {
  const rules = options.production ? [...specifiedRules, NoSchemaIntrospectionCustomRule] : specifiedRules;
  const refuse = (code: ErrorCode, message: string) => [new GraphQLError(message, { extensions: { code } })];

  /**
   * Checks an operation as strictly as the HTTP path does before anything runs, and serves
   * subscriptions only: the gateway sends queries and mutations over HTTP, so nothing else needs
   * this socket for them (and it would be a way around the HTTP path's budgets).
   */
  const prepare = async (
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
    contextValue: () => Promise<TContext>,
  ): Promise<ExecutionArgs | GraphQLError[]> => {
    const tooLarge = options.limits.checkSource(payload.query);
    if (tooLarge) return [tooLarge];
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      return refuse(ErrorCode.GraphQLParseFailed, (error as Error).message);
    }
    const operationName = payload.operationName ?? undefined;
    if (getOperationAST(document, operationName)?.operation !== OperationTypeNode.SUBSCRIPTION) {
      return refuse(ErrorCode.BadRequest, 'Only subscriptions are served over this socket; send queries and mutations over HTTP');
    }
    const invalid = validate(options.schema, document, rules);
    if (invalid.length)
      return invalid.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: ErrorCode.GraphQLValidationFailed } }));
    const overLimit = options.limits.checkOperation(options.schema, document, payload.variables ?? {}, operationName);
    if (overLimit.length) return overLimit;
    return { schema: options.schema, document, operationName, variableValues: payload.variables, contextValue: await contextValue() };
  };

  const wss = new WebSocketServer({ server, path: options.path ?? '/graphql', maxPayload: MAX_BODY_BYTES });
  const format = createErrorFormatter(options.logger, { translate: options.translate });
  const services = new WeakMap<object, string>();
  // Each subscription's trace, keyed by its context object (what graphql-ws hands to `subscribe`).
  const traces = new WeakMap<object, Context>();
  const disposable = useServer<Record<string, unknown>>(
    {
      schema: options.schema,
      // The same trust boundary as HTTP: a socket without a valid service credential is closed with 4403 at connection_init.
      onConnect: async (ctx) => {
        const credential = ctx.connectionParams?.[SERVICE_CREDENTIAL_PARAM];
        const check = await options.callers.verify(typeof credential === 'string' ? credential : undefined);
        if ('problem' in check) {
          options.logger.warn('subscription socket refused', { problem: check.problem });
          return false;
        }
        services.set(ctx, check.caller);
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const prepared = await prepare(payload, () => options.context(ctx.connectionParams, services.get(ctx)!));
        if (!Array.isArray(prepared) && typeof prepared.contextValue === 'object' && prepared.contextValue !== null) {
          // The gateway sends the trace of the subscription it opened in the message's extensions.
          const traceparent = (payload.extensions as Record<string, unknown> | undefined)?.traceparent;
          const operationName = getOperationAST(prepared.document, prepared.operationName)?.name?.value;
          inSubscriptionTrace(traceparent, operationName, () => traces.set(prepared.contextValue as object, context.active()));
        }
        return prepared;
      },
      subscribe: (args) => {
        const trace = typeof args.contextValue === 'object' && args.contextValue !== null ? traces.get(args.contextValue) : undefined;
        return trace ? context.with(trace, () => subscribe(args)) : subscribe(args);
      },
      // Same masking as HTTP: client errors keep their code, anything unexpected becomes INTERNAL_SERVER_ERROR.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => format(e.toJSON(), e)) } : undefined,
      onError: (_ctx, _id, _payload, errors: readonly GraphQLError[]) => {
        // The client's mistake (an invalid or over-limit operation), not the service's: info, not warn.
        options.logger.info('subscription refused', { errors: errors.map((e) => e.message) });
      },
    },
    wss,
    options.keepAliveMs,
  );
  return {
    connections: () => wss.clients.size,
    close: () => closeGoingAway(wss.clients, () => disposable.dispose()),
  };
}
