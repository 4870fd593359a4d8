import { describe, expect, it } from 'vitest';
import { ConfigError } from '@supergraph/runtime';
import { loadUsersConfig, USERS_DEFAULT_PORT } from './config.js';
import { DEFAULT_CREDENTIAL_LIMITS } from './credential-limits.js';

const base = { NODE_ENV: 'development', JWT_SECRET: 'j'.repeat(32) };

describe('loadUsersConfig', () => {
  it('defaults to port 4001 and no admin account', () => {
    const config = loadUsersConfig(base);
    expect(USERS_DEFAULT_PORT).toBe(4001);
    expect(config.port).toBe(4001);
    expect(config.admin).toBeNull();
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
    const prod = { ...base, NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/shop', ADMIN_EMAIL: 'admin@example.in' };
    expect(() => loadUsersConfig({ ...prod, ADMIN_PASSWORD: 'elevenchars' })).toThrow(/12 characters/);
    expect(loadUsersConfig({ ...prod, ADMIN_PASSWORD: 'twelve-chars' }).admin?.password).toBe('twelve-chars');
    expect(loadUsersConfig({ ...base, ADMIN_EMAIL: 'admin@example.in', ADMIN_PASSWORD: 'short' }).admin?.password).toBe('short');
  });

  it('still applies the shared checks', () => {
    expect(() => loadUsersConfig({})).toThrow(/JWT_SECRET/);
  });
});

describe('credential limits', () => {
  it('default to 10 failed log-ins per account and generous per-address budgets per 15 minutes, each configurable', () => {
    expect(loadUsersConfig(base).credentialLimits).toEqual(DEFAULT_CREDENTIAL_LIMITS);
    expect(DEFAULT_CREDENTIAL_LIMITS).toEqual({ windowSeconds: 900, loginFailuresPerAccount: 10, loginsPerIp: 300, signUpsPerIp: 100 });
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
