import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ExecutionArgs, ExecutionResult, GraphQLError } from 'graphql';
import type { ServiceMap } from '@apollo/gateway';
import type { RevocationList } from '@supergraph/auth';
import type { OperationLimiter } from '@supergraph/limits';
import type { ErrorFormatter, Logger, RequestedOperation } from '@supergraph/runtime';
import type { Admission } from '../admission.js';
import type { ClientLimits } from '../config.js';
import { createClientErrorFormatting } from './client-errors.js';
import { createClientGuard } from './client-guard.js';
import { createEventPipeline } from './event-pipeline.js';
import type { SubscriptionPlanner } from './planner.js';
import { createOperationPreparer } from './prepare.js';
import { createSseTransport } from './sse.js';
import { UpstreamHub } from './upstream-hub.js';
import { createWebSocketTransport } from './websocket.js';

export interface SubscriptionLayerOptions {
  logger: Logger;
  /** The planner for the supergraph being served; null until the gateway has loaded it. */
  planner: () => SubscriptionPlanner | null;
  /** The gateway's data sources, reused for the entity fetches of every event. */
  serviceMap: () => ServiceMap;
  subgraphUrl: (serviceName: string) => string;
  /** The gateway's credential for a subgraph, sent in every upstream socket's connection_init. */
  serviceCredential: (serviceName: string) => Promise<string>;
  /** Token checks and request budgets, shared with the HTTP path. */
  admission: Admission;
  /** Revocations from the users subgraph, which end the streams of the sessions they name. */
  revocations: RevocationList;
  clientLimits: ClientLimits;
  /** Runs queries and mutations sent over a stream through the HTTP path's Apollo Server (already formatted). */
  executeOperation: (args: ExecutionArgs) => Promise<ExecutionResult>;
  formatError: ErrorFormatter;
  /** The same operation limits as the HTTP path (queries over a stream run through Apollo Server and get them there). */
  limits: OperationLimiter;
  /** Which operations may run at all (PERSISTED_QUERIES=safelist); none: any. */
  checkOperation?: (operation: RequestedOperation) => GraphQLError | null;
  /** Ping interval for client and upstream sockets. */
  keepAliveMs: number;
  corsOrigins: string[];
  /** The client's address for an upgrade or event-stream request. */
  clientIp: (req: IncomingMessage) => string | undefined;
  /** Told of every client subscription started, for metrics. */
  onSubscribe?: (operationName: string | undefined) => void;
}

/**
 * Federated subscriptions on the gateway's /graphql path, over WebSocket and SSE. Operations are
 * prepared (parsed, validated, planned) once per client; events come from the subgraph owning the
 * root field over one shared upstream stream, and the rest of each event is resolved once per
 * identical client operation, then fanned out.
 */
export function createSubscriptionLayer(options: SubscriptionLayerOptions) {
  const errors = createClientErrorFormatting(options.formatError);
  const hub = new UpstreamHub(options.logger, options.keepAliveMs, options.serviceCredential);
  const guard = createClientGuard({ admission: options.admission, revocations: options.revocations, limits: options.clientLimits });
  const pipeline = createEventPipeline({
    upstream: hub,
    planner: options.planner,
    serviceMap: options.serviceMap,
    subgraphUrl: options.subgraphUrl,
    logger: options.logger,
    onSubscribe: options.onSubscribe,
  });
  const handlers = {
    prepare: createOperationPreparer({ planner: options.planner, errors, limits: options.limits, checkOperation: options.checkOperation }),
    subscribe: pipeline.subscribe,
    guard,
    execute: options.executeOperation,
    formatResult: errors.formatResult,
    clientIp: options.clientIp,
  };
  const websocket = createWebSocketTransport({ ...handlers, keepAliveMs: options.keepAliveMs });
  const sse = createSseTransport({ ...handlers, logger: options.logger, corsOrigins: options.corsOrigins });

  return {
    /** For the HTTP server's `upgrade` event. */
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => websocket.handleUpgrade(req, socket, head),
    /** True for an HTTP request that is an event stream this layer serves. */
    handlesRequest: (req: IncomingMessage) => sse.handles(req),
    serveRequest: (req: IncomingMessage, res: ServerResponse) => sse.serve(req, res),
    /** Cheap counters for /health. */
    stats: () => ({ clients: websocket.clients(), eventStreams: sse.streams(), ...pipeline.stats(), ...hub.stats(), ...guard.stats() }),
    /**
     * Closes every client socket with 1001 (going away), then the upstream sockets; ending those
     * completes every execution, which also ends the event streams of SSE clients.
     */
    async dispose(): Promise<void> {
      await websocket.dispose();
      await hub.close();
      guard.dispose();
    },
  };
}

export type SubscriptionLayer = ReturnType<typeof createSubscriptionLayer>;
