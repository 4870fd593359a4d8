import { context, isSpanContextValid, propagation, ROOT_CONTEXT, SpanKind, trace, type Context, type Link } from '@opentelemetry/api';
import type { EventEnvelope } from './event-stream.js';

const tracer = trace.getTracer('@supergraph/subgraph-kit');

/** The context a traceparent names, under `parent`'s other entries; `parent` itself when there is none. */
export function contextFromTraceparent(traceparent: unknown, parent: Context = ROOT_CONTEXT): Context {
  return typeof traceparent === 'string' ? propagation.extract(parent, { traceparent }) : parent;
}

function linkTo(traceparent: string | undefined): Link[] {
  const spanContext = trace.getSpanContext(contextFromTraceparent(traceparent));
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

/**
 * One event handed to one subscription: a span in the subscription's trace (`parent`, from when it
 * was opened), linked to the trace of the write that caused the event. A link, not a parent: one
 * write fans out to any number of subscriptions, each with its own trace.
 */
export function traceDelivery(channel: string, event: EventEnvelope, parent: Context): void {
  const span = tracer.startSpan(
    'event deliver',
    {
      kind: SpanKind.CONSUMER,
      links: linkTo(event.traceparent),
      attributes: {
        'messaging.system': 'redis',
        'messaging.operation.type': 'process',
        'messaging.destination.name': channel,
        'messaging.message.id': event.id,
        'supergraph.event.version': event.version ?? -1,
      },
    },
    parent,
  );
  span.end();
}

/** Runs `work` in the trace of a subscription the gateway opened (the traceparent it sent), when it sent one. */
export function inSubscriptionTrace<T>(traceparent: unknown, operationName: string | undefined, work: () => T): T {
  const parent = contextFromTraceparent(traceparent, context.active());
  if (parent === context.active()) return work();
  const span = tracer.startSpan(`subscription ${operationName ?? 'anonymous'}`, { kind: SpanKind.SERVER }, parent);
  // The span marks the subscription's start; its deliveries are spans of their own under it.
  span.end();
  return context.with(trace.setSpan(parent, span), work);
}
