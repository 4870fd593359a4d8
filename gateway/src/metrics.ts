import type { ServiceMetrics } from '@supergraph/telemetry';
import type { BreakerState } from './upstream/policy.js';
import type { UpstreamObserver } from './upstream/subgraph-client.js';

/** Breaker states as numbers a graph and an alert can read: 0 calling, 1 probing, 2 failing fast. */
const BREAKER_VALUES: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** What the gateway measures besides GraphQL requests: its calls to subgraphs and its subscriptions. */
export interface GatewayReadings {
  breakerStates(): Record<string, BreakerState>;
  sockets(): Record<string, { open: number; queued: number }>;
  dedup(): { sent: number; shared: number };
  subscriptions(): {
    clients: number;
    eventStreams: number;
    subscriptions: number;
    executions: number;
    upstreamStreams: number;
    upstreamSockets: number;
    eventsResolved: number;
    slowConsumersCut: number;
  };
}

/** The calls to subgraphs: time and outcome of each, and retries, observed as they happen. */
export function upstreamObserver(metrics: ServiceMetrics): UpstreamObserver {
  const calls = metrics.histogram('gateway_subgraph_request_duration_seconds', 'Calls from the gateway to a subgraph, retries included', [
    'subgraph',
    'outcome',
  ]);
  const retries = metrics.counter('gateway_subgraph_retries_total', 'Calls to a subgraph tried again after a transient failure', [
    'subgraph',
  ]);
  return {
    call: (subgraph, seconds, outcome) => calls.observe({ subgraph, outcome }, seconds),
    retry: (subgraph) => retries.inc({ subgraph }),
  };
}

/** Gauges and totals read at scrape time from what the gateway already keeps for /health. */
export function observeGateway(metrics: ServiceMetrics, read: GatewayReadings): void {
  metrics.observedGauge('gateway_subgraph_breaker_state', 'Circuit breaker per subgraph: 0 closed, 1 half-open, 2 open', ['subgraph'], () =>
    Object.entries(read.breakerStates()).map(([subgraph, state]) => [{ subgraph }, BREAKER_VALUES[state]] as const),
  );
  metrics.observedGauge('gateway_subgraph_sockets', 'Open HTTP connections to each subgraph', ['subgraph'], () =>
    Object.entries(read.sockets()).map(([subgraph, s]) => [{ subgraph }, s.open] as const),
  );
  metrics.observedGauge('gateway_subgraph_queued_requests', 'Calls to a subgraph waiting for a connection', ['subgraph'], () =>
    Object.entries(read.sockets()).map(([subgraph, s]) => [{ subgraph }, s.queued] as const),
  );
  metrics.observedCounter('gateway_subgraph_dedup_sent_total', 'Shareable subgraph queries sent', [], () => [[{}, read.dedup().sent]]);
  metrics.observedCounter('gateway_subgraph_dedup_shared_total', 'Subgraph queries answered by one already in flight', [], () => [
    [{}, read.dedup().shared],
  ]);
  const gauge = (name: string, help: string, pick: (s: ReturnType<GatewayReadings['subscriptions']>) => number) =>
    metrics.observedGauge(name, help, [], () => [[{}, pick(read.subscriptions())]]);
  gauge('gateway_websocket_clients', 'Open client WebSockets', (s) => s.clients);
  gauge('gateway_event_streams', 'Open client event streams (GraphQL over SSE)', (s) => s.eventStreams);
  gauge('gateway_subscriptions_active', 'Client subscriptions running', (s) => s.subscriptions);
  gauge('gateway_subscription_executions_active', 'Shared executions (one per identical client operation)', (s) => s.executions);
  gauge('gateway_upstream_streams', 'Subscriptions open to subgraphs', (s) => s.upstreamStreams);
  gauge('gateway_upstream_sockets', 'WebSockets open to subgraphs', (s) => s.upstreamSockets);
  metrics.observedCounter(
    'gateway_subscription_events_resolved_total',
    'Subscription events resolved (once per shared execution)',
    [],
    () => [[{}, read.subscriptions().eventsResolved]],
  );
  metrics.observedCounter('gateway_slow_consumer_cutoffs_total', 'Clients cut off for not reading their events', [], () => [
    [{}, read.subscriptions().slowConsumersCut],
  ]);
}
