import { readFileSync } from 'node:fs';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway, IntrospectAndCompose, type ServiceMap } from '@apollo/gateway';
import { GraphQLError, OperationTypeNode, print, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CredentialSigner, createRedisRevocationList } from '@supergraph/auth';
import {
  createGraphQLHandler,
  createLogger,
  createRedisClient,
  FAIL_FAST_REDIS_OPTIONS,
  ErrorCode,
  listen,
  onlyQueriesAreCacheable,
  type Logger,
} from '@supergraph/runtime';
import { createAdmission, tooManyRequests, type ClientIdentity } from './admission.js';
import { withCompression } from './compression.js';
import { createGraphQLMetrics, exposeMetrics, ServiceMetrics } from '@supergraph/telemetry';
import { observeGateway, upstreamObserver } from './metrics.js';
import { createInvoiceRoute } from './invoices.js';
import { InFlightRequests } from './upstream/in-flight.js';
import type { GatewayConfig, SubgraphName } from './config.js';
import { AuthForwardingDataSource, type GatewayContext } from './context.js';
import { createOperationLimits } from '@supergraph/limits';
import { clientIpOf } from './client-ip.js';
import { createGatewayErrorFormatter } from './errors.js';
import { createPersistedQueries } from './persisted/setup.js';
import type { BreakerState } from './upstream/policy.js';
import { SubgraphClient, type UpstreamObserver } from './upstream/subgraph-client.js';
import { SubscriptionPlanner } from './subscriptions/planner.js';
import { createSubscriptionLayer } from './subscriptions/subscription-layer.js';

export { loadGatewayConfig, type GatewayConfig } from './config.js';
export type { GatewayContext } from './context.js';

/**
 * One data source per subgraph, shared by query execution and subscription events; each signs with
 * the gateway's key and calls its subgraph through its own SubgraphClient (timeout, pool, breaker).
 */
export function createDataSources(
  config: GatewayConfig,
  signer = new CredentialSigner('gateway', config.signingKey),
  logger?: Logger,
  observer?: UpstreamObserver,
) {
  const sources = new Map<string, AuthForwardingDataSource>();
  const clients = new Map<string, SubgraphClient>();
  let apiSchema: GraphQLSchema | undefined;
  const { upstream } = config;
  const inFlight = upstream.dedup ? new InFlightRequests() : undefined;
  return {
    signer,
    get(name: string, url?: string): AuthForwardingDataSource {
      let source = sources.get(name);
      if (!source) {
        const client = new SubgraphClient({
          subgraph: name,
          timeoutMs: upstream.subgraphTimeoutMs[name as SubgraphName] ?? upstream.timeoutMs,
          maxSockets: upstream.maxSockets,
          retries: upstream.retries,
          breakerFailures: upstream.breakerFailures,
          breakerOpenMs: upstream.breakerOpenMs,
          logger,
          observer,
        });
        source = new AuthForwardingDataSource(
          { url: config.subgraphUrls[name as SubgraphName] ?? url },
          name,
          signer,
          client,
          () => apiSchema,
          inFlight,
        );
        sources.set(name, source);
        clients.set(name, client);
      }
      return source;
    },
    serviceMap: (): ServiceMap => Object.fromEntries(sources),
    /** The API schema now served: where a missing subgraph's errors go depends on its fields' nullability. */
    setApiSchema(schema: GraphQLSchema): void {
      apiSchema = schema;
    },
    /** Each subgraph's circuit breaker: closed (calling), open (failing fast) or half-open (probing). */
    breakerStates: (): Record<string, BreakerState> =>
      Object.fromEntries([...clients].map(([name, client]) => [name, client.breakerState])),
    /** Connections open to each subgraph, and calls waiting for one. */
    sockets: (): Record<string, { open: number; queued: number }> =>
      Object.fromEntries([...clients].map(([name, client]) => [name, client.sockets()])),
    /** How many subgraph requests were sent, and how many were answered by sharing one in flight. */
    dedupStats: () => ({ enabled: inFlight !== undefined, ...(inFlight?.stats() ?? { sent: 0, shared: 0 }) }),
    async close(): Promise<void> {
      await Promise.all([...clients.values()].map((client) => client.close()));
    },
  };
}

export function createGateway(config: GatewayConfig, dataSources = createDataSources(config)): ApolloGateway {
  const buildService = ({ name, url }: { name: string; url?: string }) => dataSources.get(name, url);
  if (config.supergraphSource === 'introspect') {
    const subgraphs = Object.entries(config.subgraphUrls).map(([name, url]) => ({ name, url: url }));
    return new ApolloGateway({ supergraphSdl: new IntrospectAndCompose({ subgraphs }), buildService });
  }
  return new ApolloGateway({ supergraphSdl: readFileSync(config.supergraphPath, 'utf8'), buildService });
}

/** A subscription POSTed as a plain request needs a streaming transport: say which, with a 400. */
const rejectSubscriptionsOverPlainHttp: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation === OperationTypeNode.SUBSCRIPTION) {
          throw new GraphQLError(
            'Subscriptions need a stream: connect with WebSocket (graphql-transport-ws) or send Accept: text/event-stream',
            { extensions: { code: ErrorCode.BadRequest, http: { status: 400 } } },
          );
        }
      },
    };
  },
};

/**
 * A subgraph that refused for a spent budget (RATE_LIMITED) answers inside a 200; clients and
 * proxies understand 429 with Retry-After, so an operation refused that way gets them.
 */
const rateLimitedAs429: ApolloServerPlugin<GatewayContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (response.body.kind !== 'single' || response.body.singleResult.data) return;
        const limited = (response.body.singleResult.errors ?? []).filter((error) => error.extensions?.code === ErrorCode.RateLimited);
        if (limited.length === 0) return;
        response.http.status = 429;
        const retryAfter = Math.max(...limited.map((error) => Number(error.extensions?.retryAfterSeconds) || 1));
        response.http.headers.set('retry-after', String(retryAfter));
      },
    };
  },
};

export interface RunningGateway {
  url: string;
  port: number;
  /** Readiness 503 from now on, requests still served (see runService). */
  drain(): void;
  drainMs: number;
  deadlineMs: number;
  /** Stops accepting, finishes in-flight requests (up to deadlineMs), closes sockets with 1001, then Redis. */
  stop(): Promise<void>;
}

/** Starts the gateway; port 0 picks a free port. No side effects on import. */
export async function start(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.logLevel);
  const production = config.nodeEnv === 'production';
  const metrics = new ServiceMetrics('gateway');
  const graphqlMetrics = createGraphQLMetrics<GatewayContext>(metrics);
  const rateLimited = metrics.counter('rate_limit_rejections_total', 'Requests refused for a spent budget', ['budget']);
  const redis = createRedisClient(config.redisUrl, logger, 'gateway-commands');
  // Budgets get a client of their own without an offline queue: while Redis is away they fall back
  // to this instance's memory at once instead of holding requests until it is back.
  const budgetRedis = createRedisClient(config.redisUrl, logger, 'gateway-budgets', { ...FAIL_FAST_REDIS_OPTIONS });
  const revocations = createRedisRevocationList({
    redisUrl: config.redisUrl,
    prefix: config.redisPrefix,
    logger,
    service: 'gateway',
  });
  const admission = createAdmission({
    userTokenKeys: config.userTokenKeys,
    revocations,
    limits: config.clientLimits,
    redis: budgetRedis,
    prefix: config.redisPrefix,
    logger,
    onRefused: (budget) => rateLimited.inc({ budget: `requests-per-${budget}` }),
  });
  const dataSources = createDataSources(config, undefined, logger, upstreamObserver(metrics));
  const persistedQueries = createPersistedQueries<GatewayContext>(
    config.persistedQueries,
    { url: config.redisUrl, prefix: config.redisPrefix },
    logger,
  );
  const closeClients = async () => {
    redis.disconnect();
    budgetRedis.disconnect();
    persistedQueries.close();
    await revocations.dispose();
    await dataSources.close();
  };
  const gateway = createGateway(config, dataSources);
  let planner: SubscriptionPlanner | null = null;
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    dataSources.setApiSchema(apiSchema);
    planner = new SubscriptionPlanner(coreSupergraphSdl);
  });
  const formatError = createGatewayErrorFormatter(logger);
  const limits = createOperationLimits(config.operationLimits);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    validationRules: limits.validationRules,
    // No "Did you mean …?" in production: suggestions map the schema for whoever probes it.
    hideSchemaDetailsFromClientErrors: production,
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    formatError,
    // runService owns SIGINT/SIGTERM and stops HTTP, Apollo and the clients in order.
    stopOnTerminationSignals: false,
    // A hash instead of the document (over GET, a short URL a CDN can key on); see persisted/setup.ts.
    persistedQueries: persistedQueries.option,
    // The response's Cache-Control is Apollo Server's cache control plugin (on by default) over the
    // policy RemoteGraphQLDataSource takes from each subgraph's Cache-Control header: the shortest
    // maxAge and the narrowest scope of every subgraph response, no-store when any says so, when
    // there are errors, or (onlyQueriesAreCacheable) for anything but a query.
    plugins: [
      ...persistedQueries.plugins,
      onlyQueriesAreCacheable<GatewayContext>(),
      graphqlMetrics.plugin,
      limits.apolloPlugin,
      rejectSubscriptionsOverPlainHttp,
      rateLimitedAs429,
      // Sandbox is a development tool; production serves only the API.
      production
        ? ApolloServerPluginLandingPageDisabled()
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  try {
    await apollo.start();
  } catch (error) {
    await closeClients();
    throw error;
  }
  const subscriptionsStarted = metrics.counter('gateway_subscriptions_started_total', 'Client subscriptions started', ['operation']);
  const subscriptions = createSubscriptionLayer({
    logger,
    planner: () => planner,
    serviceMap: dataSources.serviceMap,
    subgraphUrl: (name) => dataSources.get(name).url,
    serviceCredential: (name) => dataSources.signer.credentialFor(name),
    admission,
    revocations,
    clientLimits: config.clientLimits,
    formatError,
    limits,
    checkOperation: persistedQueries.checkOperation,
    keepAliveMs: config.wsKeepAliveMs,
    corsOrigins: config.corsOrigins,
    clientIp: (req) => clientIpOf(req, config.trustedProxyHops),
    onSubscribe: (operationName) => subscriptionsStarted.inc({ operation: graphqlMetrics.label(operationName) }),
    executeOperation: async (args) => {
      const response = await apollo.executeOperation(
        { query: print(args.document), variables: args.variableValues ?? {}, operationName: args.operationName ?? undefined },
        { contextValue: args.contextValue as GatewayContext },
      );
      return (
        response.body.kind === 'single'
          ? response.body.singleResult
          : { errors: [new GraphQLError('Incremental delivery is not supported over a subscription transport')] }
      ) as ExecutionResult;
    },
  });
  observeGateway(metrics, {
    breakerStates: dataSources.breakerStates,
    sockets: dataSources.sockets,
    dedup: dataSources.dedupStats,
    subscriptions: subscriptions.stats,
  });
  const exposed = await exposeMetrics(metrics, config, logger);
  let draining = false;
  const handler = createGraphQLHandler<GatewayContext, { clientIp: string | undefined; client: ClientIdentity }>({
    apollo,
    logger,
    corsOrigins: config.corsOrigins,
    // Before the body is read: a revoked token gets 401, a client over its budget 429.
    admit: async (req) => {
      const clientIp = clientIpOf(req, config.trustedProxyHops);
      const client = await admission.identify(req.headers.authorization, clientIp);
      const refusal = await admission.spend(client);
      if (refusal) throw tooManyRequests(refusal);
      return { clientIp, client };
    },
    context: async (req, { clientIp, client }) => ({ authorization: req.headers.authorization, clientIp, client }),
    checkDocument: limits.checkSource,
    // PERSISTED_QUERIES=safelist: unregistered operations are refused before Apollo Server looks at them.
    checkOperation: persistedQueries.checkOperation,
    draining: () => draining,
    // Queries and mutations do not need Redis (budgets fall back to memory), so Redis being away
    // does not take the gateway out of rotation; /health says what is degraded meanwhile.
    readiness: [],
    metrics: exposed.onOwnPort,
    health: () => ({
      redis: redis.status === 'ready' ? 'ok' : 'unreachable: subscriptions, revocation checks and shared budgets are degraded',
      subscriptions: subscriptions.stats(),
      // A subgraph whose breaker is open gets SUBGRAPH_UNAVAILABLE at once for what it would serve.
      subgraphBreakers: dataSources.breakerStates(),
      subgraphDedup: dataSources.dedupStats(),
    }),
  });
  // Event-stream requests (GraphQL over SSE) go to the subscription layer; everything else to Apollo,
  // its answers compressed when large enough.
  const compressed = withCompression(handler, config.compression);
  // GET /invoices/<orderId>.pdf: PDFs are already compressed, so they skip the compression layer.
  const invoices = createInvoiceRoute({
    admission,
    signer: dataSources.signer,
    ordersUrl: () => dataSources.get('orders').url,
    clientIp: (req) => clientIpOf(req, config.trustedProxyHops),
    timeoutMs: config.upstream.subgraphTimeoutMs.orders ?? config.upstream.timeoutMs,
    logger,
  });
  const route = (req: IncomingMessage, res: ServerResponse) => {
    if (invoices.handles(req)) return void invoices.serve(req, res);
    return subscriptions.handlesRequest(req) ? subscriptions.serveRequest(req, res) : compressed(req, res);
  };
  const http = await listen(route, config.port, config.host, subscriptions.handleUpgrade);
  logger.info('listening', { port: http.port, url: `${http.url}/graphql`, metrics: exposed.url(http.url) });
  return {
    url: `${http.url}/graphql`,
    port: http.port,
    drain: () => {
      draining = true;
    },
    drainMs: config.shutdownDrainMs,
    deadlineMs: config.shutdownDeadlineMs,
    async stop() {
      // Requests already accepted finish first (their subgraph calls included); then client sockets
      // close with 1001 and the upstream ones, which ends event streams; then Redis.
      http.stopAccepting();
      const cut = await http.finishRequests(config.shutdownDeadlineMs);
      if (cut > 0) logger.warn('requests still running at the shutdown deadline were cut', { cut, deadlineMs: config.shutdownDeadlineMs });
      await subscriptions.dispose();
      await http.close();
      await apollo.stop();
      await exposed.close();
      await closeClients();
      logger.info('stopped');
    },
  };
}
