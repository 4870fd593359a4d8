import type { Redis } from 'ioredis';
import { ConfigError, type Env } from '@supergraph/runtime';
import { createRateLimit, type RateLimit } from '@supergraph/rate-limits';

/** How often credentials may be tried, per account and per address, in one window. */
export interface CredentialLimitsConfig {
  windowSeconds: number;
  /** Wrong passwords for one account before it is locked for the rest of the window. */
  loginFailuresPerAccount: number;
  /**
   * Log-in attempts from one address. Generous on purpose: carrier-grade NAT puts thousands of
   * mobile users behind one address, so the per-account budget is the tight one.
   */
  loginsPerIp: number;
  signUpsPerIp: number;
}

export const DEFAULT_CREDENTIAL_LIMITS: CredentialLimitsConfig = {
  windowSeconds: 15 * 60,
  loginFailuresPerAccount: 10,
  loginsPerIp: 300,
  signUpsPerIp: 100,
};

const VARIABLES: Record<keyof CredentialLimitsConfig, string> = {
  windowSeconds: 'RATE_LIMIT_WINDOW_SECONDS',
  loginFailuresPerAccount: 'RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT',
  loginsPerIp: 'RATE_LIMIT_LOGINS_PER_IP',
  signUpsPerIp: 'RATE_LIMIT_SIGNUPS_PER_IP',
};

export function readCredentialLimits(env: Env): CredentialLimitsConfig {
  const limits = { ...DEFAULT_CREDENTIAL_LIMITS };
  for (const key of Object.keys(VARIABLES) as (keyof CredentialLimitsConfig)[]) {
    const raw = env[VARIABLES[key]]?.trim();
    if (raw === undefined || raw === '') continue;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 100_000_000) {
      throw new ConfigError(`${VARIABLES[key]} must be a whole number from 1 to 100000000 (got "${raw}")`);
    }
    limits[key] = Number(raw);
  }
  return limits;
}

export interface CredentialLimits {
  loginFailuresPerAccount: RateLimit;
  loginsPerIp: RateLimit;
  signUpsPerIp: RateLimit;
}

/** The budgets for logIn and signUp, counted in Redis across every users instance. */
export function createCredentialLimits(config: CredentialLimitsConfig, store: { redis: Redis | null; prefix: string }): CredentialLimits {
  const window = config.windowSeconds;
  return {
    // Once spent, the account stays locked for the rest of the window, whatever password comes next.
    loginFailuresPerAccount: createRateLimit(
      { name: 'login-failures-per-account', points: config.loginFailuresPerAccount, durationSeconds: window, blockSeconds: window },
      store,
    ),
    loginsPerIp: createRateLimit({ name: 'logins-per-ip', points: config.loginsPerIp, durationSeconds: window }, store),
    signUpsPerIp: createRateLimit({ name: 'signups-per-ip', points: config.signUpsPerIp, durationSeconds: window }, store),
  };
}
