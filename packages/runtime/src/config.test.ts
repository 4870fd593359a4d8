import { describe, expect, it } from 'vitest';
import { loadServiceConfig, readLogLevel, readNodeEnv, readPort, readUrl } from './index.js';
import { configErrorMessage as configError } from './testing.js';

describe('loadServiceConfig', () => {
  it('fills in development defaults and needs no secret or database', () => {
    expect(loadServiceConfig({ NODE_ENV: 'development' }, 4321)).toEqual({
      nodeEnv: 'development',
      port: 4321,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'supergraph',
      logLevel: 'info',
      wsKeepAliveMs: 12_000,
      shutdownDrainMs: 0,
      shutdownDeadlineMs: 10_000,
      metricsPort: undefined,
    });
  });

  it('reads WS_KEEPALIVE_MS and refuses nonsense', () => {
    expect(loadServiceConfig({ WS_KEEPALIVE_MS: '500' }, 1).wsKeepAliveMs).toBe(500);
    // Drain on SIGTERM: 5 s in production (a load balancer's check interval), none elsewhere, or as set.
    expect(loadServiceConfig({}, 1).shutdownDrainMs).toBe(5_000);
    expect(loadServiceConfig({ NODE_ENV: 'production', SHUTDOWN_DRAIN_MS: '250' }, 1).shutdownDrainMs).toBe(250);
    expect(() => loadServiceConfig({ SHUTDOWN_DRAIN_MS: 'soon' }, 1)).toThrow(/SHUTDOWN_DRAIN_MS/);
    // The deadline for requests still running after the drain: 10 s unless set, never 0 (nothing would finish).
    expect(loadServiceConfig({ SHUTDOWN_DEADLINE_MS: '2500' }, 1).shutdownDeadlineMs).toBe(2_500);
    for (const raw of ['0', 'later', '300001']) {
      expect(() => loadServiceConfig({ SHUTDOWN_DEADLINE_MS: raw }, 1), raw).toThrow(
        /SHUTDOWN_DEADLINE_MS must be a whole number from 100 to 300000/,
      );
    }
    for (const raw of ['0', '99', 'soon', '1e4', '300001']) {
      expect(() => loadServiceConfig({ WS_KEEPALIVE_MS: raw }, 1), raw).toThrow(/WS_KEEPALIVE_MS/);
    }
  });

  it('reads METRICS_PORT: unset by default, a port when set, refused when not a port', () => {
    expect(loadServiceConfig({}, 1).metricsPort).toBeUndefined();
    expect(loadServiceConfig({ METRICS_PORT: '9464' }, 1).metricsPort).toBe(9464);
    expect(() => loadServiceConfig({ METRICS_PORT: 'ninety' }, 1)).toThrow(/METRICS_PORT must be a port number/);
  });

  it.each(['abc', '70000', '-1', '1.5', '65536'])('refuses PORT=%s naming PORT', (port) => {
    const message = configError(() => loadServiceConfig({ PORT: port }, 1));
    expect(message).toContain('PORT');
    expect(message).toContain(port);
  });

  it('accepts PORT=0 (any free port) and PORT=65535', () => {
    expect(loadServiceConfig({ PORT: '0' }, 1).port).toBe(0);
    expect(loadServiceConfig({ PORT: '65535' }, 1).port).toBe(65535);
  });

  it('refuses a Redis URL that is not redis: or rediss:, an unknown NODE_ENV and LOG_LEVEL', () => {
    expect(configError(() => loadServiceConfig({ REDIS_URL: 'http://cache:6379' }, 1))).toContain('REDIS_URL');
    expect(configError(() => loadServiceConfig({ NODE_ENV: 'staging' }, 1))).toContain('NODE_ENV');
    expect(configError(() => loadServiceConfig({ LOG_LEVEL: 'verbose' }, 1))).toContain('LOG_LEVEL');
  });
});

describe('config readers', () => {
  it('readNodeEnv is production unless a service is told otherwise', () => {
    expect(readNodeEnv({})).toBe('production');
    expect(readNodeEnv({ NODE_ENV: 'development' })).toBe('development');
    expect(readNodeEnv({ NODE_ENV: 'test' })).toBe('test');
  });

  it('readLogLevel defaults to warn under test and info otherwise', () => {
    expect(readLogLevel({}, 'test')).toBe('warn');
    expect(readLogLevel({}, 'development')).toBe('info');
    expect(readLogLevel({}, 'production')).toBe('info');
    expect(readLogLevel({ LOG_LEVEL: 'silent' }, 'production')).toBe('silent');
  });

  it('readPort falls back only when unset or empty', () => {
    expect(readPort({}, 'PORT', 99)).toBe(99);
    expect(readPort({ PORT: '' }, 'PORT', 99)).toBe(99);
    expect(readPort({ PORT: '4000' }, 'PORT', 99)).toBe(4000);
    expect(readPort({ PORT: '  ' }, 'PORT', 99)).toBe(99);
  });

  it('readPort refuses anything but plain decimal digits', () => {
    for (const raw of ['0x10', '1e3', '-1', '40.5', '65536', 'four']) {
      expect(() => readPort({ PORT: raw }, 'PORT', 99), raw).toThrow(/PORT must be a port number/);
    }
  });

  it('readUrl uses the fallback, checks the protocol, and returns the value as given', () => {
    expect(readUrl({}, 'X_URL', 'http://fallback/graphql', ['http:'])).toBe('http://fallback/graphql');
    expect(readUrl({ X_URL: 'https://a.example/graphql' }, 'X_URL', undefined, ['http:', 'https:'])).toBe('https://a.example/graphql');
    expect(configError(() => readUrl({}, 'X_URL', undefined, ['http:']))).toContain('X_URL is required');
    expect(configError(() => readUrl({ X_URL: 'ftp://a' }, 'X_URL', undefined, ['http:', 'https:']))).toContain('http: or https:');
  });
});
