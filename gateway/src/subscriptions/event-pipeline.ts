import { context as otelContext, SpanKind, trace } from '@opentelemetry/api';
import { getOperationAST, GraphQLError, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { ServiceMap } from '@apollo/gateway';
import { ErrorCode, type Logger } from '@supergraph/runtime';
import type { SubscriptionContext } from './prepare.js';
import type { SubscriptionPlanner } from './planner.js';
import { createPushIterator } from './push-iterator.js';
import { SharedFeeds, type Sink } from './shared-feeds.js';
import type { UpstreamRequest } from './upstream-hub.js';

/** Where events come from: one shared stream per identical upstream request (the UpstreamHub). */
export interface UpstreamSource {
  subscribe(request: UpstreamRequest, sink: Sink<ExecutionResult>): () => void;
}

const tracer = trace.getTracer('@supergraph/gateway');

/** Events a single client may have waiting before it is disconnected as too slow. */
export const MAX_BUFFERED_EVENTS = 1_000;

export interface EventPipelineOptions {
  upstream: UpstreamSource;
  /** The planner the operation was planned with; it also resolves the rest of each event. */
  planner: () => SubscriptionPlanner | null;
  /** The gateway's data sources, reused for the entity fetches of every event. */
  serviceMap: () => ServiceMap;
  subgraphUrl: (serviceName: string) => string;
  logger: Logger;
  maxBufferedEvents?: number;
  /** Told of every client subscription started (its operation's name), for metrics. */
  onSubscribe?: (operationName: string | undefined) => void;
}

/** A subgraph's errors as the gateway passes them on: message and extensions (its code) kept. */
function fromUpstream(errors: readonly { message: string; extensions?: Record<string, unknown> }[]): GraphQLError[] {
  return errors.map((e) => new GraphQLError(e.message, { extensions: e.extensions }));
}

function describeClose(error: unknown): string {
  if (error instanceof Error) return error.message;
  const close = error as { code?: number; reason?: string } | undefined;
  return close?.code ? `socket closed with ${close.code} ${close.reason ?? ''}`.trim() : String(error);
}

/**
 * From upstream events to what each client receives. Identical client operations (same
 * document, variables and token) share one execution per event, fanned out to all of them;
 * events are resolved one after another so clients see them in the order they happened.
 */
export function createEventPipeline(options: EventPipelineOptions) {
  const { logger } = options;
  const maxBuffered = options.maxBufferedEvents ?? MAX_BUFFERED_EVENTS;
  const executions = new SharedFeeds<ExecutionResult>();
  /** Running totals for metrics: events resolved (once per shared execution) and clients cut off as too slow. */
  const totals = { eventsResolved: 0, slowConsumersCut: 0 };

  /** Opens the shared execution of one client operation: an upstream stream, and `rest` run per event. */
  const openExecution = (args: ExecutionArgs, emit: Sink<ExecutionResult>): (() => void) => {
    const context = args.contextValue as SubscriptionContext;
    const planned = context.planned!;
    const planner = options.planner()!;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    const upstreamVariables = Object.fromEntries((planned.primary.variableUsages ?? []).map((name) => [name, variables[name]]));
    const serviceName = planned.primary.serviceName;

    let queue = Promise.resolve();
    const inOrder = (step: () => Promise<void> | void) => {
      queue = queue.then(step).catch((error) => logger.error('subscription event failed', { error }));
    };
    return options.upstream.subscribe(
      {
        serviceName,
        url: options.subgraphUrl(serviceName),
        operation: planned.primary.operation,
        variables: upstreamVariables,
        authorization: planned.isPublic ? undefined : context.authorization,
      },
      {
        next: (event) =>
          inOrder(async () => {
            if (!event.data) {
              // The subgraph refused (e.g. FORBIDDEN): pass its errors on as they are.
              emit.next({ errors: fromUpstream(event.errors ?? []) });
              return;
            }
            totals.eventsResolved++;
            try {
              emit.next(
                await planner.executeEvent(planned, event, variables, { authorization: context.authorization }, options.serviceMap()),
              );
            } catch (error) {
              logger.error('subscription event could not be resolved', { error });
              emit.next({ errors: [new GraphQLError('Internal server error', { extensions: { code: ErrorCode.Internal } })] });
            }
          }),
        error: (error) =>
          inOrder(() => {
            if (Array.isArray(error)) {
              emit.next({ errors: fromUpstream(error) });
            } else {
              // A close graphql-ws will not retry (e.g. the subgraph refused the protocol).
              logger.error('upstream subscription failed', { subgraph: serviceName, error: describeClose(error) });
              emit.next({
                errors: [
                  new GraphQLError(`The ${serviceName} service ended this subscription; subscribe again`, {
                    extensions: { code: ErrorCode.SubgraphUnavailable },
                  }),
                ],
              });
            }
            emit.complete();
          }),
        complete: () => inOrder(() => emit.complete()),
      },
    );
  };

  return {
    /** The `subscribe` both transports run for a prepared subscription: the client's own queue of events. */
    subscribe: (args: ExecutionArgs): AsyncIterableIterator<ExecutionResult> => {
      const context = args.contextValue as SubscriptionContext;
      const planned = context.planned!;
      options.onSubscribe?.(planned.operationName ?? undefined);
      const executionKey = JSON.stringify([
        print(planned.document),
        planned.operationName ?? null,
        args.variableValues ?? {},
        context.authorization ?? null,
      ]);
      let leave = () => {};
      // A client that stops reading (a phone in a tunnel) is cut off rather than buffered forever.
      const clientQueue = createPushIterator<ExecutionResult>(() => leave(), {
        maxBuffered,
        overflowError: () => {
          totals.slowConsumersCut++;
          return new GraphQLError(`More than ${maxBuffered} events were waiting for this client; resubscribe`, {
            extensions: { code: ErrorCode.SlowConsumer },
          });
        },
      });
      // A span for the subscription's start (under the event stream's HTTP request, or a trace of its
      // own over WebSocket): a new upstream stream is opened in its trace.
      const operationName = planned.operationName ?? getOperationAST(planned.document)?.name?.value ?? 'anonymous';
      const span = tracer.startSpan(`subscription ${operationName}`, { kind: SpanKind.SERVER });
      span.setAttribute('graphql.operation.type', 'subscription');
      leave = otelContext.with(trace.setSpan(otelContext.active(), span), () =>
        executions.join(executionKey, (emit) => openExecution(args, emit), {
          next: clientQueue.push,
          error: clientQueue.fail,
          complete: clientQueue.end,
        }),
      );
      span.end();
      // A transport may not be able to end an iterator that waits for an event (graphql-sse defers
      // return() of a suspended async generator), so it says the client left through this signal.
      context.signal?.addEventListener('abort', () => void clientQueue.iterator.return?.(), { once: true });
      return clientQueue.iterator;
    },
    stats: () => ({ subscriptions: executions.sinkCount(), executions: executions.size(), ...totals }),
  };
}

export type EventPipeline = ReturnType<typeof createEventPipeline>;
