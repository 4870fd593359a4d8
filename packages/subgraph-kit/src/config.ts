import { readOperationLimits, type OperationLimits } from '@supergraph/limits';
import { ConfigError, loadServiceConfig, readUrl, requireString, type Env, type ServiceConfig } from '@supergraph/runtime';

/** What every subgraph reads on top of the service configuration: its database and the token secret. */
export interface SubgraphConfig extends ServiceConfig {
  mongodbUri: string;
  jwtSecret: string;
  /** What one operation may ask for before it runs (LIMIT_* variables); the gateway checks the same. */
  operationLimits: OperationLimits;
}

const MIN_SECRET_LENGTH = 32;

export function loadSubgraphConfig(env: Env = process.env, defaultPort: number): SubgraphConfig {
  // Subgraphs answer only on this machine unless HOST opens them up deliberately: clients go through the gateway.
  const service = loadServiceConfig(env, defaultPort, '127.0.0.1');
  const jwtSecret = requireString(env, 'JWT_SECRET');
  if (jwtSecret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  const mongoProtocols = ['mongodb:', 'mongodb+srv:'];
  return {
    ...service,
    // Production must name its database explicitly; local development gets one from `npm start`.
    mongodbUri:
      service.nodeEnv === 'production'
        ? readUrl(env, 'MONGODB_URI', undefined, mongoProtocols)
        : readUrl(env, 'MONGODB_URI', 'mongodb://127.0.0.1:27017/supergraph', mongoProtocols),
    jwtSecret,
    operationLimits: readOperationLimits(env),
  };
}
