import { ConfigError } from '@supergraph/runtime';
import { loadSubgraphConfig, type SubgraphConfig } from '@supergraph/subgraph-kit';
import { readCredentialLimits, type CredentialLimitsConfig } from './credential-limits.js';

export interface UsersConfig extends SubgraphConfig {
  /** The admin account made sure of at start-up; null when not configured. */
  admin: { email: string; password: string } | null;
  /** How often logIn and signUp may be tried (RATE_LIMIT_* variables). */
  credentialLimits: CredentialLimitsConfig;
}

export const USERS_DEFAULT_PORT = 4001;

export function loadUsersConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const base = loadSubgraphConfig(env, USERS_DEFAULT_PORT);
  const email = env.ADMIN_EMAIL?.trim();
  const password = env.ADMIN_PASSWORD;
  if (!email !== !password) throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  if (password && base.nodeEnv === 'production' && password.length < 12) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 12 characters in production');
  }
  return { ...base, admin: email && password ? { email, password } : null, credentialLimits: readCredentialLimits(env) };
}
