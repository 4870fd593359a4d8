import { resolve } from 'node:path';
import { readCompressionConfig, type CompressionConfig } from './compression.js';
import { fileURLToPath } from 'node:url';
import { readPrivateKey, readPublicKeys, type PrivateKeyJwk, type PublicKeyJwk } from '@supergraph/auth';
import { readOperationLimits, type OperationLimits } from '@supergraph/limits';
import { readManifestFile, type PersistedOperation } from './persisted/manifest.js';
import {
  ConfigError,
  optionalString,
  readLogLevel,
  readMetricsPort,
  readNodeEnv,
  readOnOff,
  readShutdownDeadlineMs,
  readShutdownDrainMs,
  readWholeNumber,
  readWholeNumbers,
  readWsKeepAlive,
  readPort,
  readUrl,
  type LogLevelName,
  type NodeEnv,
} from '@supergraph/runtime';

export const GATEWAY_DEFAULT_PORT = 4000;
export const SUBGRAPH_NAMES = ['users', 'catalog', 'orders'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export interface GatewayConfig {
  nodeEnv: NodeEnv;
  port: number;
  host: string;
  redisUrl: string;
  logLevel: LogLevelName;
  /** 'file': serve the composed supergraph; 'introspect': compose from the running subgraphs (local development). */
  supergraphSource: 'file' | 'introspect';
  supergraphPath: string;
  /** Routing URLs that replace the ones composed into the supergraph (e.g. other hosts or ports). */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  corsOrigins: string[];
  /** Ping interval for WebSocket connections (clients and subgraphs). */
  wsKeepAliveMs: number;
  /** On SIGTERM, how long to keep serving with /ready at 503 (SHUTDOWN_DRAIN_MS). */
  shutdownDrainMs: number;
  /** After the drain, how long requests still running may take before they are cut (SHUTDOWN_DEADLINE_MS). */
  shutdownDeadlineMs: number;
  /** What one operation may ask for before it runs (LIMIT_* variables). */
  operationLimits: OperationLimits;
  /** Proxies in front of the gateway that append to X-Forwarded-For; 0: trust no such header. */
  trustedProxyHops: number;
  /** Prefix for every Redis key and channel (budgets, revocations). */
  redisPrefix: string;
  /** The gateway's own key (GATEWAY_SIGNING_KEY): every subgraph request carries a credential signed with it. */
  signingKey: PrivateKeyJwk;
  /** Public keys of access tokens (USER_TOKEN_PUBLIC_KEYS): budgets and revocations are per verified user. */
  userTokenKeys: PublicKeyJwk[];
  clientLimits: ClientLimits;
  /** How the gateway calls subgraphs over HTTP: timeouts, connection pool, retries, circuit breaker. */
  upstream: UpstreamConfig;
  /** Response compression (COMPRESSION, COMPRESSION_MIN_BYTES). */
  compression: CompressionConfig;
  /** METRICS_PORT: where /metrics is served (see ServiceConfig.metricsPort). */
  metricsPort: number | undefined;
  /** PERSISTED_QUERIES and, for a safelist, the manifest's operations (PERSISTED_QUERIES_MANIFEST). */
  persistedQueries: PersistedQueriesConfig;
}

export const PERSISTED_QUERY_MODES = ['off', 'apq', 'safelist'] as const;

export interface PersistedQueriesConfig {
  /** off: documents only; apq: automatic persisted queries shared in Redis; safelist: the manifest's operations only. */
  mode: (typeof PERSISTED_QUERY_MODES)[number];
  /** The registered operations (safelist only; empty otherwise). */
  operations: PersistedOperation[];
}

/**
 * Reads PERSISTED_QUERIES (default apq) and, in safelist mode, the manifest PERSISTED_QUERIES_MANIFEST
 * names, read and checked now so a missing or malformed one stops the gateway at start-up.
 */
export function readPersistedQueriesConfig(env: Record<string, string | undefined>): PersistedQueriesConfig {
  const mode = optionalString(env, 'PERSISTED_QUERIES', 'apq');
  if (!(PERSISTED_QUERY_MODES as readonly string[]).includes(mode)) {
    throw new ConfigError(`PERSISTED_QUERIES must be one of ${PERSISTED_QUERY_MODES.join(', ')} (got "${mode}")`);
  }
  if (mode !== 'safelist') return { mode: mode as PersistedQueriesConfig['mode'], operations: [] };
  const manifest = optionalString(env, 'PERSISTED_QUERIES_MANIFEST', '');
  if (!manifest) {
    throw new ConfigError(
      'PERSISTED_QUERIES=safelist needs PERSISTED_QUERIES_MANIFEST: the path of the manifest `npm run persisted:register` writes',
    );
  }
  try {
    return { mode, operations: readManifestFile(resolve(manifest)) };
  } catch (error) {
    throw new ConfigError(`PERSISTED_QUERIES_MANIFEST: ${(error as Error).message}`);
  }
}

/** How every subgraph fetch is bounded and protected (see upstream/subgraph-client.ts). */
export interface UpstreamConfig {
  /** Budget for one subgraph fetch, retries included (SUBGRAPH_TIMEOUT_MS). */
  timeoutMs: number;
  /** Per-subgraph budgets that replace timeoutMs (USERS_TIMEOUT_MS, CATALOG_TIMEOUT_MS, ORDERS_TIMEOUT_MS). */
  subgraphTimeoutMs: Partial<Record<SubgraphName, number>>;
  /** Keep-alive connections one gateway instance opens to one subgraph at most; more requests queue. */
  maxSockets: number;
  /** Extra attempts for a query whose subgraph refused the connection or answered 502/503; never for mutations. */
  retries: number;
  /** Consecutive failures (timeouts, unreachable, 5xx) that open a subgraph's circuit breaker. */
  breakerFailures: number;
  /** How long an open breaker fails calls at once before letting one probe through. */
  breakerOpenMs: number;
  /** Identical queries in flight at once share one subgraph request (SUBGRAPH_DEDUP=on|off). */
  dedup: boolean;
}

export const DEFAULT_UPSTREAM: Omit<UpstreamConfig, 'subgraphTimeoutMs'> = {
  dedup: true,
  // Long enough for a slow page of orders under load; short enough that a client is answered, with
  // what the healthy subgraphs gave, well before it or a proxy gives up (often 30 s or more).
  timeoutMs: 10_000,
  maxSockets: 64,
  retries: 1,
  breakerFailures: 5,
  breakerOpenMs: 10_000,
};

/** Reads the SUBGRAPH_* settings and the per-subgraph timeouts. */
export function readUpstreamConfig(env: Record<string, string | undefined>): UpstreamConfig {
  const timeoutMs = readWholeNumber(env, 'SUBGRAPH_TIMEOUT_MS', DEFAULT_UPSTREAM.timeoutMs, 50, 300_000);
  const subgraphTimeoutMs: Partial<Record<SubgraphName, number>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const variable = `${name.toUpperCase()}_TIMEOUT_MS`;
    if (env[variable]?.trim()) subgraphTimeoutMs[name] = readWholeNumber(env, variable, timeoutMs, 50, 300_000);
  }
  return {
    timeoutMs,
    subgraphTimeoutMs,
    maxSockets: readWholeNumber(env, 'SUBGRAPH_MAX_SOCKETS', DEFAULT_UPSTREAM.maxSockets, 1, 10_000),
    retries: readWholeNumber(env, 'SUBGRAPH_RETRIES', DEFAULT_UPSTREAM.retries, 0, 3),
    breakerFailures: readWholeNumber(env, 'SUBGRAPH_BREAKER_FAILURES', DEFAULT_UPSTREAM.breakerFailures, 1, 10_000),
    breakerOpenMs: readWholeNumber(env, 'SUBGRAPH_BREAKER_OPEN_MS', DEFAULT_UPSTREAM.breakerOpenMs, 100, 600_000),
    dedup: readOnOff(env, 'SUBGRAPH_DEDUP', DEFAULT_UPSTREAM.dedup),
  };
}

/** What one client may use: requests per minute, and open sockets and subscriptions at once (per gateway instance). */
export interface ClientLimits {
  requestsPerMinutePerUser: number;
  /** Anonymous clients by address: generous, since carrier-grade NAT puts thousands of phones behind one. */
  requestsPerMinutePerIp: number;
  socketsPerUser: number;
  socketsPerIp: number;
  subscriptionsPerUser: number;
  subscriptionsPerIp: number;
}

export const DEFAULT_CLIENT_LIMITS: ClientLimits = {
  requestsPerMinutePerUser: 600,
  requestsPerMinutePerIp: 3000,
  socketsPerUser: 10,
  socketsPerIp: 500,
  subscriptionsPerUser: 100,
  subscriptionsPerIp: 2000,
};

const CLIENT_LIMIT_VARIABLES: Record<keyof ClientLimits, string> = {
  requestsPerMinutePerUser: 'RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER',
  requestsPerMinutePerIp: 'RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP',
  socketsPerUser: 'LIMIT_SOCKETS_PER_USER',
  socketsPerIp: 'LIMIT_SOCKETS_PER_IP',
  subscriptionsPerUser: 'LIMIT_SUBSCRIPTIONS_PER_USER',
  subscriptionsPerIp: 'LIMIT_SUBSCRIPTIONS_PER_IP',
};

export function readClientLimits(env: Record<string, string | undefined>): ClientLimits {
  return readWholeNumbers(env, CLIENT_LIMIT_VARIABLES, DEFAULT_CLIENT_LIMITS, { min: 1, max: 100_000_000 });
}

const DEFAULT_SUPERGRAPH = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../schema/supergraph.graphql');
const DEFAULT_URLS: Record<SubgraphName, string> = {
  users: 'http://localhost:4001/graphql',
  catalog: 'http://localhost:4002/graphql',
  orders: 'http://localhost:4003/graphql',
};

export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const nodeEnv = readNodeEnv(env);
  const supergraphSource = optionalString(env, 'SUPERGRAPH_SOURCE', 'file');
  if (supergraphSource !== 'file' && supergraphSource !== 'introspect') {
    throw new ConfigError(`SUPERGRAPH_SOURCE must be "file" or "introspect" (got "${supergraphSource}")`);
  }
  if (supergraphSource === 'introspect' && nodeEnv === 'production') {
    throw new ConfigError('SUPERGRAPH_SOURCE=introspect is for local development; production serves the composed supergraph file');
  }
  const subgraphUrls: Partial<Record<SubgraphName, string>> = {};
  for (const name of SUBGRAPH_NAMES) {
    const variable = `${name.toUpperCase()}_URL`;
    if (env[variable]) subgraphUrls[name] = readUrl(env, variable, undefined, ['http:', 'https:']);
    else if (supergraphSource === 'introspect') subgraphUrls[name] = DEFAULT_URLS[name];
  }
  // Browsers may call from anywhere in development (Sandbox runs on Apollo's origin); production lists its origins.
  const cors = optionalString(env, 'CORS_ORIGINS', nodeEnv === 'production' ? '' : '*');
  return {
    nodeEnv,
    port: readPort(env, 'PORT', GATEWAY_DEFAULT_PORT),
    host: optionalString(env, 'HOST', '0.0.0.0'),
    redisUrl: readUrl(env, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:']),
    logLevel: readLogLevel(env, nodeEnv),
    supergraphSource,
    supergraphPath: optionalString(env, 'SUPERGRAPH_PATH', DEFAULT_SUPERGRAPH),
    subgraphUrls,
    corsOrigins: cors
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    wsKeepAliveMs: readWsKeepAlive(env),
    shutdownDrainMs: readShutdownDrainMs(env, nodeEnv),
    shutdownDeadlineMs: readShutdownDeadlineMs(env),
    metricsPort: readMetricsPort(env),
    operationLimits: readOperationLimits(env),
    trustedProxyHops: readWholeNumber(env, 'TRUSTED_PROXY_HOPS', 0, 0, 10),
    redisPrefix: optionalString(env, 'REDIS_PREFIX', 'supergraph'),
    signingKey: readPrivateKey(env, 'GATEWAY_SIGNING_KEY'),
    userTokenKeys: readPublicKeys(env, 'USER_TOKEN_PUBLIC_KEYS'),
    clientLimits: readClientLimits(env),
    upstream: readUpstreamConfig(env),
    compression: readCompressionConfig(env),
    persistedQueries: readPersistedQueriesConfig(env),
  };
}
