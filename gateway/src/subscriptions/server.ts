import type { Server, ServerResponse } from 'node:http';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { createHandler as createSseHandler } from 'graphql-sse/lib/use/http';
import {
  GraphQLError,
  getOperationAST,
  parse,
  print,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FormattedExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import type { ServiceMap } from '@apollo/gateway';
import { ErrorCode, type Logger } from '@supergraph/runtime';
import { authorizationFrom } from '@supergraph/auth';
import type { GatewayContext } from '../context.js';
import { createPushIterator } from './push-iterator.js';
import type { PlannedSubscription, SubscriptionPlanner } from './planner.js';
import { SharedFeeds } from './shared-feeds.js';
import { UpstreamHub } from './upstream.js';

export interface FederatedSubscriptionOptions {
  server: Server;
  logger: Logger;
  /** The planner for the supergraph being served; null until the gateway has loaded it. */
  planner: () => SubscriptionPlanner | null;
  /** The gateway's data sources, reused for the entity fetches of every event. */
  serviceMap: () => ServiceMap;
  subgraphUrl: (serviceName: string) => string;
  /** Runs queries and mutations sent over the socket through the HTTP path's Apollo Server. */
  executeOperation: (args: ExecutionArgs) => Promise<ExecutionResult | FormattedExecutionResult>;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** Ping interval for client and upstream sockets. */
  keepAliveMs: number;
}

/** Largest WebSocket message accepted from a client (a GraphQL document with variables). */
export const MAX_MESSAGE_BYTES = 1_000_000;

/**
 * When a bearer JWT expires (ms since epoch), read without verifying: the gateway
 * does not judge tokens, the subgraphs do; this only bounds how long a socket lives.
 */
export function tokenExpiry(authorization: string | undefined): number | null {
  const token = /^Bearer\s+([^.\s]+)\.([^.\s]+)\.[^.\s]+$/i.exec(authorization ?? '');
  if (!token) return null;
  try {
    const { exp } = JSON.parse(Buffer.from(token[2], 'base64url').toString('utf8')) as { exp?: unknown };
    // Longer than a timer can wait (~24 days) is left to the next reconnect.
    return typeof exp === 'number' && exp * 1000 - Date.now() < 2 ** 31 - 1 ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** A subgraph's errors as the gateway passes them on: message and extensions (its code) kept. */
function fromUpstream(errors: readonly { message: string; extensions?: Record<string, unknown> }[]): GraphQLError[] {
  return errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions }));
}

function describeClose(error: unknown): string {
  if (error instanceof Error) return error.message;
  const close = error as { code?: number; reason?: string };
  return close?.code ? `socket closed with ${close.code} ${close.reason ?? ''}`.trim() : String(error);
}

/** Events a single client may have waiting before it is disconnected as too slow. */
const MAX_BUFFERED_EVENTS = 1_000;

/** What onSubscribe hands to `subscribe` through the execution args. */
interface SubscriptionContext extends GatewayContext {
  planned?: PlannedSubscription;
  /** Over SSE: the response whose closing means the client left. */
  response?: ServerResponse;
}

/**
 * GraphQL over WebSocket (graphql-transport-ws) on the gateway's /graphql path.
 * Subscriptions are planned by the federation query planner; events come from
 * the subgraph owning the root field over a shared upstream stream, and the rest
 * of each event is resolved once per identical client operation, then fanned out.
 */
export function serveFederatedSubscriptions(options: FederatedSubscriptionOptions) {
  const { logger } = options;
  const wss = new WebSocketServer({ server: options.server, path: '/graphql', maxPayload: MAX_MESSAGE_BYTES });
  const hub = new UpstreamHub(logger, options.keepAliveMs);
  const executions = new SharedFeeds<ExecutionResult>();

  const clientErrors = (errors: readonly GraphQLError[]) =>
    errors.map((error) => {
      const formatted = options.formatError(error.toJSON(), error);
      return new GraphQLError(formatted.message, { extensions: formatted.extensions });
    });

  const subscribe = (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> => {
    const context = args.contextValue as SubscriptionContext;
    const planned = context.planned!;
    const planner = options.planner()!;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const upstreamVariables = Object.fromEntries((planned.primary.variableUsages ?? []).map((name) => [name, variables[name]]));
    const authorization = context.authorization;
    const executionKey = JSON.stringify([print(planned.document), planned.operationName ?? null, variables, authorization ?? null]);

    let leave = () => {};
    // A client that stops reading (a phone in a tunnel) is cut off rather than buffered forever.
    const feed = createPushIterator<ExecutionResult>(() => leave(), {
      maxBuffered: MAX_BUFFERED_EVENTS,
      overflowError: () => new GraphQLError(`More than ${MAX_BUFFERED_EVENTS} events were waiting for this client; resubscribe`, { extensions: { code: ErrorCode.SlowConsumer } }),
    });
    leave = executions.join(
      executionKey,
      (emit) => {
        // Events resolve one after another, so clients see them in the order they happened.
        let queue = Promise.resolve();
        const run = (step: () => Promise<void> | void) => {
          queue = queue.then(step).catch((error) => logger.error('subscription event failed', { error }));
        };
        return hub.subscribe(
          {
            serviceName: planned.primary.serviceName,
            url: options.subgraphUrl(planned.primary.serviceName),
            operation: planned.primary.operation,
            variables: upstreamVariables,
            authorization: planned.isPublic ? undefined : authorization,
          },
          {
            next: (event) =>
              run(async () => {
                if (!event.data) {
                  // The subgraph refused (e.g. FORBIDDEN): pass its errors on as they are.
                  emit.next({ errors: fromUpstream(event.errors ?? []) });
                  return;
                }
                try {
                  emit.next(await planner.executeEvent(planned, event, variables, { authorization }, options.serviceMap()));
                } catch (error) {
                  logger.error('subscription event could not be resolved', { error });
                  emit.next({ errors: [new GraphQLError('Internal server error', { extensions: { code: ErrorCode.Internal } })] });
                }
              }),
            error: (error) =>
              run(() => {
                if (Array.isArray(error)) {
                  emit.next({ errors: fromUpstream(error) });
                } else {
                  // A close graphql-ws will not retry (e.g. the subgraph refused the protocol).
                  logger.error('upstream subscription failed', { subgraph: planned.primary.serviceName, error: describeClose(error) });
                  emit.next({
                    errors: [new GraphQLError(`The ${planned.primary.serviceName} service ended this subscription; subscribe again`, { extensions: { code: ErrorCode.SubgraphUnavailable } })],
                  });
                }
                emit.complete();
              }),
            complete: () => run(() => emit.complete()),
          },
        );
      },
      { next: feed.push, error: feed.fail, complete: feed.end },
    );
    // graphql-sse cannot end an iterator that is waiting for an event (a suspended async generator
    // defers return()), so a closed event stream ends the feed here.
    context.response?.once('close', () => void feed.iterator.return?.());
    return feed.iterator;
  };

  /** Parses, validates and plans one operation for either transport; errors come back ready for the client. */
  const prepare = (
    request: { query?: unknown; variables?: unknown; operationName?: unknown },
    authorization: string | undefined,
  ): ExecutionArgs | GraphQLError[] => {
    const planner = options.planner();
    if (!planner) return clientErrors([new GraphQLError('The gateway is still loading its schema; retry shortly', { extensions: { code: ErrorCode.ServiceUnavailable } })]);
    if (typeof request.query !== 'string') return clientErrors([new GraphQLError('query: expected a GraphQL document string', { extensions: { code: ErrorCode.BadRequest } })]);
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (error) {
      return clientErrors([new GraphQLError((error as Error).message, { extensions: { code: ErrorCode.GraphQLParseFailed } })]);
    }
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const variables = (request.variables ?? {}) as Record<string, unknown>;
    const operation = getOperationAST(document, operationName);
    const base = { schema: planner.schema, document, operationName };
    if (operation?.operation !== 'subscription') {
      return { ...base, variableValues: variables, contextValue: { authorization } };
    }
    const planned = planner.plan(document, operationName);
    if (Array.isArray(planned)) return clientErrors(planned);
    const coerced = getVariableValues(planner.schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) {
      return clientErrors(coerced.errors.map((e) => new GraphQLError(e.message, { extensions: { code: ErrorCode.BadUserInput } })));
    }
    return { ...base, variableValues: coerced.coerced, contextValue: { authorization, planned } satisfies SubscriptionContext };
  };

  // Already formatted by Apollo Server; the transports only relay it.
  const execute = (args: ExecutionArgs) => options.executeOperation(args) as Promise<ExecutionResult>;
  // Formatted errors are plain objects, which both transports serialise like GraphQLErrors.
  const formatResult = (result: ExecutionResult): ExecutionResult | undefined =>
    result.errors
      ? ({ ...result, errors: result.errors.map((e) => options.formatError(e instanceof GraphQLError ? e.toJSON() : e, e)) } as unknown as ExecutionResult)
      : undefined;

  const expiryTimers = new WeakMap<object, NodeJS.Timeout>();
  const disposable = useServer<Record<string, unknown>>(
    {
      // Authorization is checked when a subscription starts; when the token then expires the
      // socket is closed (4403), so nobody keeps receiving events on a token that is no longer valid.
      onConnect: (ctx) => {
        const expiresAt = tokenExpiry(authorizationFrom(ctx.connectionParams));
        if (expiresAt === null) return;
        const socket = ctx.extra.socket;
        const timer = setTimeout(() => socket.close(4403, 'Token expired; reconnect with a fresh token'), Math.max(0, expiresAt - Date.now()));
        timer.unref();
        expiryTimers.set(ctx, timer);
      },
      onClose: (ctx) => clearTimeout(expiryTimers.get(ctx)),
      onSubscribe: (ctx, _id, payload) => prepare(payload, authorizationFrom(ctx.connectionParams)),
      subscribe,
      execute,
      onNext: (_ctx, _id, _payload, _args, result) => formatResult(result as ExecutionResult),
    },
    wss,
    options.keepAliveMs,
  );

  // GraphQL over Server-Sent Events (distinct connections mode) for clients behind proxies that strip WebSockets.
  const sse = createSseHandler<Record<string, unknown>>({
    onSubscribe: (req, params) => {
      const prepared = prepare(params, authorizationFrom(req.raw.headers));
      // graphql-sse takes an object with `data` as a finished result; without it, as execution arguments.
      if (Array.isArray(prepared)) return { data: null, errors: prepared };
      const response = (req.context as { res?: ServerResponse } | undefined)?.res;
      return { ...prepared, contextValue: { ...(prepared.contextValue as SubscriptionContext), response } } as never;
    },
    subscribe,
    execute,
    onNext: (_ctx, _req, result) => formatResult(result as ExecutionResult),
  });

  return {
    stats: () => ({ clients: wss.clients.size, subscriptions: executions.sinkCount(), executions: executions.size(), ...hub.stats() }),
    /** Serves a request that asked for `text/event-stream`. */
    sse,
    /**
     * Closes every client socket with 1001 (going away), then the upstream sockets; ending those
     * completes every execution, which also ends the event streams of SSE clients.
     */
    async close() {
      await disposable.dispose();
      await hub.close();
    },
  };
}
