import { describe, expect, it } from 'vitest';
import { ConfigError } from '@supergraph/runtime';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { loadUsersConfig, USERS_DEFAULT_PORT } from './config.js';
import { DEFAULT_CREDENTIAL_LIMITS } from './credential-limits.js';

const signingKey = testSigningKey('users');
const workerKey = testSigningKey('worker');
const base = {
  NODE_ENV: 'development',
  GATEWAY_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('gateway')) }),
  USER_TOKEN_SIGNING_KEY: JSON.stringify(signingKey),
  WORKER_SERVICE_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(workerKey) }),
};

describe('loadUsersConfig', () => {
  it('defaults to port 4001 and no admin account', () => {
    const config = loadUsersConfig(base);
    expect(USERS_DEFAULT_PORT).toBe(4001);
    expect(config.port).toBe(4001);
    expect(config.admin).toBeNull();
  });

  it('reads the phone login settings', () => {
    const config = loadUsersConfig({ ...base, OTP_TTL_SECONDS: '60', OTP_RESEND_SECONDS: '5' });
    expect(config.otp).toMatchObject({ ttlSeconds: 60, resendSeconds: 5, maxAttempts: 5 });
    expect(() => loadUsersConfig({ ...base, OTP_MAX_ATTEMPTS: '0' })).toThrow(/OTP_MAX_ATTEMPTS/);
  });

  it('reads the admin account, trimming the email', () => {
    expect(loadUsersConfig({ ...base, ADMIN_EMAIL: ' admin@example.in ', ADMIN_PASSWORD: 'pw-12345' }).admin).toEqual({
      email: 'admin@example.in',
      password: 'pw-12345',
    });
  });

  it('requires ADMIN_EMAIL and ADMIN_PASSWORD together', () => {
    expect(() => loadUsersConfig({ ...base, ADMIN_EMAIL: 'admin@example.in' })).toThrow(ConfigError);
    expect(() => loadUsersConfig({ ...base, ADMIN_PASSWORD: 'pw-12345' })).toThrow(/ADMIN_EMAIL and ADMIN_PASSWORD/);
    expect(() => loadUsersConfig({ ...base, ADMIN_EMAIL: '   ', ADMIN_PASSWORD: 'pw-12345' })).toThrow(ConfigError);
  });

  it('requires a 12-character admin password in production only', () => {
    const prod = {
      ...base,
      NODE_ENV: 'production',
      MONGODB_URI: 'mongodb://db/shop',
      ADMIN_EMAIL: 'admin@example.in',
      WORKER_SERVICE_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('worker')) }),
    };
    expect(() => loadUsersConfig({ ...prod, ADMIN_PASSWORD: 'elevenchars' })).toThrow(/12 characters/);
    expect(loadUsersConfig({ ...prod, ADMIN_PASSWORD: 'twelve-chars' }).admin?.password).toBe('twelve-chars');
    expect(loadUsersConfig({ ...base, ADMIN_EMAIL: 'admin@example.in', ADMIN_PASSWORD: 'short' }).admin?.password).toBe('short');
  });

  it('trusts the worker, with its own keys and audience, for the internal lookups: required in production, optional elsewhere', () => {
    expect(loadUsersConfig(base).serviceCallers).toEqual([{ issuer: 'worker', audience: 'users-internal', keys: publicKeysOf(workerKey) }]);
    const { WORKER_SERVICE_PUBLIC_KEYS: _omitted, ...withoutWorker } = base;
    expect(loadUsersConfig(withoutWorker).serviceCallers).toEqual([]);
    expect(() => loadUsersConfig({ ...withoutWorker, NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/shop' })).toThrow(
      /WORKER_SERVICE_PUBLIC_KEYS/,
    );
  });

  it('still applies the shared checks', () => {
    expect(() => loadUsersConfig({ NODE_ENV: 'test' })).toThrow(/GATEWAY_PUBLIC_KEYS/);
  });

  it('needs the access-token signing key, and verifies with its public part plus any older keys', () => {
    const { USER_TOKEN_SIGNING_KEY: _key, ...withoutKey } = base;
    expect(() => loadUsersConfig(withoutKey)).toThrow(/USER_TOKEN_SIGNING_KEY/);
    expect(loadUsersConfig(base).userTokenKeys.map((k) => k.kid)).toEqual([signingKey.kid]);
    const older = testSigningKey('users-old');
    const rotating = loadUsersConfig({ ...base, USER_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(older) }) });
    expect(rotating.userTokenKeys.map((k) => k.kid)).toEqual([older.kid, signingKey.kid]);
  });

  it('defaults sessions to 15-minute access tokens, 30 days idle, 90 days at most, a 30-second retry grace', () => {
    expect(loadUsersConfig(base).sessions).toEqual({
      accessTokenTtlSeconds: 900,
      idleSeconds: 30 * 86_400,
      maxSeconds: 90 * 86_400,
      retryGraceSeconds: 30,
    });
    expect(loadUsersConfig({ ...base, ACCESS_TOKEN_TTL_SECONDS: '300', SESSION_IDLE_DAYS: '7' }).sessions).toMatchObject({
      accessTokenTtlSeconds: 300,
      idleSeconds: 7 * 86_400,
    });
    expect(() => loadUsersConfig({ ...base, ACCESS_TOKEN_TTL_SECONDS: '5' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => loadUsersConfig({ ...base, SESSION_IDLE_DAYS: '100', SESSION_MAX_DAYS: '30' })).toThrow(/SESSION_MAX_DAYS/);
  });
});

describe('credential limits', () => {
  it('default to 10 failed log-ins per account and generous per-address budgets per 15 minutes, each configurable', () => {
    expect(loadUsersConfig(base).credentialLimits).toEqual(DEFAULT_CREDENTIAL_LIMITS);
    expect(DEFAULT_CREDENTIAL_LIMITS).toEqual({
      windowSeconds: 900,
      loginFailuresPerAccount: 10,
      loginsPerIp: 300,
      signUpsPerIp: 100,
      refreshesPerIp: 3000,
      refreshesPerSession: 30,
    });
    expect(
      loadUsersConfig({ ...base, RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '5', RATE_LIMIT_WINDOW_SECONDS: '60' }).credentialLimits,
    ).toMatchObject({
      loginFailuresPerAccount: 5,
      windowSeconds: 60,
      loginsPerIp: 300,
    });
  });

  it.each(['0', 'many', '-3'])('refuses RATE_LIMIT_SIGNUPS_PER_IP=%s naming the variable', (raw) => {
    expect(() => loadUsersConfig({ ...base, RATE_LIMIT_SIGNUPS_PER_IP: raw })).toThrow(/RATE_LIMIT_SIGNUPS_PER_IP/);
  });
});
