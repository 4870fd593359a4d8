import type { IncomingMessage } from 'node:http';
import type { BaseContext } from '@apollo/server';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { AccessTokenVerifier, authorizationFrom, CredentialVerifier, SERVICE_CREDENTIAL_HEADER } from '@supergraph/auth';
import { createOperationLimits } from '@supergraph/limits';
import {
  createGraphQLHandler,
  createLogger,
  createRedisClient,
  ErrorCode,
  FAIL_FAST_REDIS_OPTIONS,
  HttpError,
  listen,
  type Logger,
} from '@supergraph/runtime';
import { createGraphQLMetrics, exposeMetrics, observeMongoCommands, ServiceMetrics } from '@supergraph/telemetry';
import type { SubgraphConfig } from './config.js';
import { observeLoaderBatches } from './loaders.js';
import { createRedisEventBus, type EventBus, type RelayHook } from './events.js';
import { connectMongo, databaseOutage, pingMongo, type MongoOptions } from './mongo.js';
import { createMongoOutbox } from './outbox.js';
import { createSubgraphApollo, createSubgraphSchema } from './subgraph-apollo.js';
import { serveSubscriptions } from './subscription-server.js';

/** Where a request comes from, as far as a subgraph can tell. */
export interface CallerInfo {
  /** The client's address as the gateway saw it (`x-client-ip`); undefined when not known. */
  ip: string | undefined;
  /** The service whose credential the request carried ('gateway', or e.g. 'orders' for internal calls). */
  service: string;
}

/**
 * The address of the client the gateway served, which it forwards in `x-client-ip`. Only read on
 * requests that carry a verified service credential, so nobody else can choose it.
 */
function forwardedClientIp(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-client-ip'];
  return typeof forwarded === 'string' && forwarded !== '' ? forwarded : undefined;
}

/** The trust boundary: which callers a subgraph serves GraphQL to. */
export function createCallerVerifier(name: string, config: SubgraphConfig): CredentialVerifier {
  return new CredentialVerifier([{ issuer: 'gateway', audience: name, keys: config.gatewayKeys }, ...config.serviceCallers]);
}

/** What every subgraph gets from the shared bootstrap. */
export interface SubgraphDeps {
  config: SubgraphConfig;
  logger: Logger;
  connection: Connection;
  redis: Redis;
  events: EventBus;
  /** Checks the access tokens clients send (public keys only: no subgraph but users can issue one). */
  tokens: AccessTokenVerifier;
  /** The service's metrics, for what a subgraph measures of its own. */
  metrics: ServiceMetrics;
}

export interface SubgraphDefinition<TContext extends BaseContext> {
  name: string;
  schemaUrl: URL;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * What the outbox relay must do for each event before it counts as sent (see RelayHook), e.g.
   * enqueue the jobs a status change calls for. Made before the event bus, so no entry (one left
   * unsent by a crash included) is relayed without them; `close` runs after the bus is disposed.
   */
  relayHooks?: (logger: Logger) => { hooks: RelayHook[]; close(): Promise<void> };
  /**
   * Registers models, syncs indexes, and returns the context factory: called per
   * HTTP request and per WebSocket subscription with the caller's Authorization value.
   */
  setup(deps: SubgraphDeps): Promise<{
    createContext: (authorization: string | undefined, caller: CallerInfo) => Promise<TContext>;
    onStop?: () => Promise<void>;
    /** Extra fields for /health (cheap counters only), e.g. the catalog's cache counts. */
    health?: () => Record<string, unknown>;
  }>;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  deps: SubgraphDeps;
  /** Readiness 503 from now on, requests still served (see runService). */
  drain(): void;
  drainMs: number;
  deadlineMs: number;
  /** Stops accepting, finishes in-flight requests (up to deadlineMs), closes sockets with 1001, then Redis and the database. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  mongo?: MongoOptions;
}

/** Connects to MongoDB and Redis, then serves the subgraph over HTTP. */
export async function startSubgraph<TContext extends BaseContext>(
  definition: SubgraphDefinition<TContext>,
  config: SubgraphConfig,
  options: StartOptions = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger(definition.name, config.logLevel);
  const metrics = new ServiceMetrics(definition.name);
  const connection = await connectMongo(config.mongodbUri, logger, {
    serverSelectionTimeoutMs: config.mongodbServerSelectionTimeoutMs,
    operationTimeoutMs: config.mongodbOperationTimeoutMs,
    // Command monitoring feeds the MongoDB command durations in /metrics.
    monitorCommands: true,
    ...options.mongo,
  });
  observeMongoCommands(metrics, connection.getClient());
  observeDataLayer(metrics, connection);
  // A database outage reaches clients as SERVICE_UNAVAILABLE ("retry shortly"), over HTTP and WebSocket alike.
  const translate = databaseOutage(definition.name);
  // Fail fast: nothing a request waits for may wait on Redis (see FAIL_FAST_REDIS_OPTIONS).
  const redis = createRedisClient(config.redisUrl, logger, `${definition.name}-commands`, { ...FAIL_FAST_REDIS_OPTIONS });
  // Events are recorded in this service's own database with the write, then relayed to Redis.
  let outbox;
  try {
    outbox = await createMongoOutbox(connection);
  } catch (error) {
    redis.disconnect();
    connection.removeAllListeners('disconnected'); // closing on purpose is not an outage
    await connection.close();
    throw error;
  }
  const relayHooks = definition.relayHooks?.(logger);
  const events = createRedisEventBus(config.redisUrl, config.redisPrefix, logger, {
    outbox,
    outboxOptions: config.outbox,
    hooks: relayHooks?.hooks,
  });
  const deps: SubgraphDeps = { config, logger, connection, redis, events, tokens: new AccessTokenVerifier(config.userTokenKeys), metrics };
  observeEvents(metrics, events);
  const callers = createCallerVerifier(definition.name, config);

  const closeClients = async () => {
    await events.dispose();
    await relayHooks?.close();
    redis.disconnect();
    connection.removeAllListeners('disconnected'); // closing on purpose is not an outage
    await connection.close();
  };

  try {
    const { createContext, onStop, health } = await definition.setup(deps);
    const schema = createSubgraphSchema(definition.schemaUrl, definition.resolvers);
    const limits = createOperationLimits(config.operationLimits);
    const graphqlMetrics = createGraphQLMetrics<TContext>(metrics);
    const apollo = createSubgraphApollo<TContext>({
      schema,
      logger,
      production: config.nodeEnv === 'production',
      limits,
      translate,
      plugins: [graphqlMetrics.plugin],
    });
    await apollo.start();
    const exposed = await exposeMetrics(metrics, config, logger);
    let draining = false;
    const handler = createGraphQLHandler<TContext, CallerInfo>({
      apollo,
      draining: () => draining,
      // Nothing is read from a request without a credential from the gateway or a trusted service.
      admit: async (req) => {
        const credential = req.headers[SERVICE_CREDENTIAL_HEADER];
        const check = await callers.verify(typeof credential === 'string' ? credential : undefined);
        if ('problem' in check) throw new HttpError(401, `Unauthenticated: ${check.problem}`, ErrorCode.Unauthenticated);
        return { ip: forwardedClientIp(req), service: check.caller };
      },
      context: (req, caller) => createContext(req.headers.authorization, caller),
      checkDocument: limits.checkSource,
      logger,
      // Ready means able to answer queries and mutations, which need the database only: writes put
      // their events in the outbox, not on Redis. A Redis outage degrades subscriptions, as /health says.
      readiness: [{ name: 'mongodb', check: () => pingMongo(connection) }],
      metrics: exposed.onOwnPort,
      health: () => ({
        redis:
          redis.status === 'ready' && events.healthy()
            ? 'ok'
            : 'unreachable: subscriptions are degraded; events are kept in the outbox and delivered once it is back',
        ...health?.(),
      }),
    });
    const http = await listen(handler, config.port, config.host);
    // Subscriptions: the gateway connects here with graphql-ws, with its credential and the client's token in connection_init.
    const subscriptions = serveSubscriptions(http.server, {
      schema,
      logger,
      callers,
      context: (connectionParams, service) => createContext(authorizationFrom(connectionParams), { ip: undefined, service }),
      keepAliveMs: config.wsKeepAliveMs,
      limits,
      production: config.nodeEnv === 'production',
      translate,
    });
    logger.info('listening', { port: http.port, url: `${http.url}/graphql`, metrics: exposed.url(http.url) });
    return {
      name: definition.name,
      url: `${http.url}/graphql`,
      port: http.port,
      deps,
      drain: () => {
        draining = true;
      },
      drainMs: config.shutdownDrainMs,
      deadlineMs: config.shutdownDeadlineMs,
      async stop() {
        // The order matters: requests already accepted finish with the database and Redis still
        // open (an order being placed completes), sockets close only after them.
        http.stopAccepting();
        const cut = await http.finishRequests(config.shutdownDeadlineMs);
        if (cut > 0)
          logger.warn('requests still running at the shutdown deadline were cut', { cut, deadlineMs: config.shutdownDeadlineMs });
        await subscriptions.close();
        await http.close();
        await apollo.stop();
        await onStop?.();
        await exposed.close();
        await closeClients();
        logger.info('stopped');
      },
    };
  } catch (error) {
    await closeClients();
    throw error;
  }
}

/** DataLoader batch sizes: how well per-request batching works (one query for many keys). */
function observeDataLayer(metrics: ServiceMetrics, connection: Connection): void {
  const batchSizes = metrics.histogram(
    'dataloader_batch_size',
    'Keys per DataLoader batch (one database query each)',
    ['loader'],
    [1, 2, 5, 10, 20, 50, 100, 200, 500],
  );
  observeLoaderBatches(connection, (loader, size) => batchSizes.observe({ loader }, size));
}

/** The event bus's running totals: recorded in the outbox, relayed to Redis, delivered to subscriptions, backlog. */
function observeEvents(metrics: ServiceMetrics, events: EventBus): void {
  metrics.observedCounter('events_recorded_total', 'Events recorded in the outbox with their writes', [], () => [
    [{}, events.stats().recorded],
  ]);
  metrics.observedCounter('events_published_total', 'Events the outbox relay published to Redis', [], () => [[{}, events.stats().relayed]]);
  metrics.observedCounter('events_delivered_total', "Events that reached this service's subscriptions from Redis", [], () => [
    [{}, events.stats().delivered],
  ]);
  metrics.observedGauge('events_outbox_backlog', 'Events recorded and not yet published (grows while Redis is away)', [], () => [
    [{}, events.stats().pending],
  ]);
  metrics.observedGauge('events_transport_up', '1 while events reach Redis, 0 while they wait in the outbox', [], () => [
    [{}, events.healthy() ? 1 : 0],
  ]);
}
