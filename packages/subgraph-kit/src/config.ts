import { readPublicKeys, type PublicKeyJwk, type TrustedCaller } from '@supergraph/auth';
import { readOperationLimits, type OperationLimits } from '@supergraph/limits';
import { loadServiceConfig, readUrl, readWholeNumber, type Env, type ServiceConfig } from '@supergraph/runtime';
import type { OutboxOptions } from './events.js';
import { DEFAULT_MONGO_OPERATION_TIMEOUT_MS, DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS } from './mongo.js';

/** What every subgraph reads on top of the service configuration: its database and the keys it trusts. */
export interface SubgraphConfig extends ServiceConfig {
  mongodbUri: string;
  /**
   * While the database is unreachable, how long an operation waits for it before failing with
   * SERVICE_UNAVAILABLE (MONGODB_SERVER_SELECTION_TIMEOUT_MS): short, so requests fail fast.
   */
  mongodbServerSelectionTimeoutMs: number;
  /** How long one database command waits for its reply before failing (MONGODB_OPERATION_TIMEOUT_MS). */
  mongodbOperationTimeoutMs: number;
  /** The gateway's public keys (GATEWAY_PUBLIC_KEYS): GraphQL is served only to requests it signed. */
  gatewayKeys: PublicKeyJwk[];
  /** Public keys of the users subgraph's access tokens (USER_TOKEN_PUBLIC_KEYS). */
  userTokenKeys: PublicKeyJwk[];
  /** Services other than the gateway allowed to call this subgraph directly (e.g. orders → catalog). */
  serviceCallers: TrustedCaller[];
  /** What one operation may ask for before it runs (LIMIT_* variables); the gateway checks the same. */
  operationLimits: OperationLimits;
  /** The event outbox's relay: OUTBOX_POLL_MS (looks for unsent events) and OUTBOX_RETENTION_MS (keeps sent ones). */
  outbox: OutboxOptions;
}

/**
 * `signsUserTokens`: the users subgraph verifies with its own signing key's public part, so
 * USER_TOKEN_PUBLIC_KEYS is optional there (it adds older keys during a rotation).
 */
export function loadSubgraphConfig(
  env: Env = process.env,
  defaultPort: number,
  options: { signsUserTokens?: boolean } = {},
): SubgraphConfig {
  // Subgraphs answer only on this machine unless HOST opens them up deliberately: clients go through the gateway.
  const service = loadServiceConfig(env, defaultPort, '127.0.0.1');
  const mongoProtocols = ['mongodb:', 'mongodb+srv:'];
  return {
    ...service,
    // Production must name its database explicitly; local development gets one from `npm start`.
    mongodbUri:
      service.nodeEnv === 'production'
        ? readUrl(env, 'MONGODB_URI', undefined, mongoProtocols)
        : readUrl(env, 'MONGODB_URI', 'mongodb://127.0.0.1:27017/supergraph', mongoProtocols),
    mongodbServerSelectionTimeoutMs: readWholeNumber(
      env,
      'MONGODB_SERVER_SELECTION_TIMEOUT_MS',
      DEFAULT_MONGO_SERVER_SELECTION_TIMEOUT_MS,
      100,
      60_000,
    ),
    mongodbOperationTimeoutMs: readWholeNumber(env, 'MONGODB_OPERATION_TIMEOUT_MS', DEFAULT_MONGO_OPERATION_TIMEOUT_MS, 100, 600_000),
    gatewayKeys: readPublicKeys(env, 'GATEWAY_PUBLIC_KEYS'),
    userTokenKeys: readPublicKeys(env, 'USER_TOKEN_PUBLIC_KEYS', { optional: options.signsUserTokens }),
    serviceCallers: [],
    operationLimits: readOperationLimits(env),
    outbox: {
      pollMs: readWholeNumber(env, 'OUTBOX_POLL_MS', 1_000, 100, 60_000),
      // Counted from sending, so it need only cover the catch-up right after Redis returns (which reads
      // back from 30 s before the outage); kept short because FerretDB scans the collection on every poll.
      retentionMs: readWholeNumber(env, 'OUTBOX_RETENTION_MS', 2 * 60_000, 60_000, 7 * 24 * 3_600_000),
    },
  };
}
