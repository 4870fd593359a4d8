import {
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  readPrivateKey,
  readPublicKeys,
  withOwnKey,
  type PrivateKeyJwk,
  type TrustedCaller,
} from '@supergraph/auth';
import { USERS_INTERNAL_AUDIENCE, WORKER_SERVICE } from '@supergraph/contracts';
import { ConfigError, readWholeNumber, type Env } from '@supergraph/runtime';
import { loadSubgraphConfig, type SubgraphConfig } from '@supergraph/subgraph-kit';
import { readJobsConfig, type JobsConfig } from '@supergraph/jobs';
import { readCredentialLimits, type CredentialLimitsConfig } from './credential-limits.js';
import { readOtpConfig, type OtpConfig } from './otp-config.js';

export interface UsersConfig extends SubgraphConfig {
  /** The admin account made sure of at start-up; null when not configured. */
  admin: { email: string; password: string } | null;
  /** How often logIn and signUp may be tried (RATE_LIMIT_* variables). */
  credentialLimits: CredentialLimitsConfig;
  /** The key access tokens are signed with (USER_TOKEN_SIGNING_KEY): no other service holds it. */
  tokenSigningKey: PrivateKeyJwk;
  sessions: SessionConfig;
  /** Phone login codes (OTP_* and RATE_LIMIT_OTP_* variables). */
  otp: OtpConfig;
  /** How the jobs this service enqueues (login code messages) are retried and kept (JOBS_* variables). */
  jobs: JobsConfig;
}

export interface SessionConfig {
  /** How long an access token lives (ACCESS_TOKEN_TTL_SECONDS, 15 minutes by default). */
  accessTokenTtlSeconds: number;
  /** A session unused for this long ends (SESSION_IDLE_DAYS, 30): a phone opened monthly stays logged in. */
  idleSeconds: number;
  /** A session ends this long after the password was entered, however often it is used (SESSION_MAX_DAYS, 90). */
  maxSeconds: number;
  /**
   * A refresh token already exchanged may be exchanged once more within this many seconds
   * (REFRESH_RETRY_GRACE_SECONDS, 30): a phone that lost the answer retries with the token it still
   * holds. Later reuse is taken as theft and ends the session.
   */
  retryGraceSeconds: number;
}

export function readSessionConfig(env: Env): SessionConfig {
  const DAY = 24 * 3600;
  const sessions = {
    accessTokenTtlSeconds: readWholeNumber(env, 'ACCESS_TOKEN_TTL_SECONDS', DEFAULT_ACCESS_TOKEN_TTL_SECONDS, 60, 24 * 3600),
    idleSeconds: readWholeNumber(env, 'SESSION_IDLE_DAYS', 30, 1, 365) * DAY,
    maxSeconds: readWholeNumber(env, 'SESSION_MAX_DAYS', 90, 1, 3650) * DAY,
    retryGraceSeconds: readWholeNumber(env, 'REFRESH_RETRY_GRACE_SECONDS', 30, 0, 300),
  };
  if (sessions.maxSeconds < sessions.idleSeconds) throw new ConfigError('SESSION_MAX_DAYS must be at least SESSION_IDLE_DAYS');
  return sessions;
}

export const USERS_DEFAULT_PORT = 4001;

/**
 * The worker asks for an invoice's buyer and a customer's phone with its own key
 * (WORKER_SERVICE_PUBLIC_KEYS): required in production, where invoices and notices must go out;
 * elsewhere a stack without a worker may leave it out.
 */
function readWorkerCaller(env: Env, production: boolean): TrustedCaller[] {
  const keys = readPublicKeys(env, 'WORKER_SERVICE_PUBLIC_KEYS', { optional: !production });
  return keys.length > 0 ? [{ issuer: WORKER_SERVICE, audience: USERS_INTERNAL_AUDIENCE, keys }] : [];
}

export function loadUsersConfig(env: Record<string, string | undefined> = process.env): UsersConfig {
  const base = loadSubgraphConfig(env, USERS_DEFAULT_PORT, { signsUserTokens: true });
  const email = env.ADMIN_EMAIL?.trim();
  const password = env.ADMIN_PASSWORD;
  if (!email !== !password) throw new ConfigError('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  if (password && base.nodeEnv === 'production' && password.length < 12) {
    throw new ConfigError('ADMIN_PASSWORD must be at least 12 characters in production');
  }
  const tokenSigningKey = readPrivateKey(env, 'USER_TOKEN_SIGNING_KEY');
  return {
    ...base,
    // The users subgraph checks the tokens it signs; USER_TOKEN_PUBLIC_KEYS adds older keys during a rotation.
    userTokenKeys: withOwnKey(base.userTokenKeys, tokenSigningKey),
    // The worker asks for an invoice's buyer and how to reach a customer, with its own key and audience.
    serviceCallers: readWorkerCaller(env, base.nodeEnv === 'production'),
    admin: email && password ? { email, password } : null,
    credentialLimits: readCredentialLimits(env),
    tokenSigningKey,
    sessions: readSessionConfig(env),
    otp: readOtpConfig(env),
    jobs: readJobsConfig(env),
  };
}
