import type { Redis } from 'ioredis';
import { readWholeNumbers, type Env } from '@supergraph/runtime';
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
  /** Session refreshes from one address (one per user every 15 minutes, times the users behind a NAT). */
  refreshesPerIp: number;
  /** Refreshes of one session: a client needs one per access token, so a burst means a script. */
  refreshesPerSession: number;
}

export const DEFAULT_CREDENTIAL_LIMITS: CredentialLimitsConfig = {
  windowSeconds: 15 * 60,
  loginFailuresPerAccount: 10,
  loginsPerIp: 300,
  signUpsPerIp: 100,
  refreshesPerIp: 3000,
  refreshesPerSession: 30,
};

const VARIABLES: Record<keyof CredentialLimitsConfig, string> = {
  windowSeconds: 'RATE_LIMIT_WINDOW_SECONDS',
  loginFailuresPerAccount: 'RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT',
  loginsPerIp: 'RATE_LIMIT_LOGINS_PER_IP',
  signUpsPerIp: 'RATE_LIMIT_SIGNUPS_PER_IP',
  refreshesPerIp: 'RATE_LIMIT_REFRESHES_PER_IP',
  refreshesPerSession: 'RATE_LIMIT_REFRESHES_PER_SESSION',
};

export function readCredentialLimits(env: Env): CredentialLimitsConfig {
  return readWholeNumbers(env, VARIABLES, DEFAULT_CREDENTIAL_LIMITS, { min: 1, max: 100_000_000 });
}

export interface CredentialLimits {
  loginFailuresPerAccount: RateLimit;
  loginsPerIp: RateLimit;
  signUpsPerIp: RateLimit;
  refreshesPerIp: RateLimit;
  refreshesPerSession: RateLimit;
}

/** The budgets for logIn, signUp and refreshSession, counted in Redis across every users instance. */
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
    refreshesPerIp: createRateLimit({ name: 'refreshes-per-ip', points: config.refreshesPerIp, durationSeconds: window }, store),
    refreshesPerSession: createRateLimit(
      { name: 'refreshes-per-session', points: config.refreshesPerSession, durationSeconds: window },
      store,
    ),
  };
}
