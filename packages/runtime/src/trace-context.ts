import { context, propagation } from '@opentelemetry/api';

/**
 * The W3C traceparent of the work running now, when it is traced (undefined otherwise: no SDK,
 * or no span active). What a response returns, an upstream subscription sends and an event records.
 */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}
