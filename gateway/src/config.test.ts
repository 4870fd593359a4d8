import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configErrorMessage as configError } from '@supergraph/runtime/testing';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { DEFAULT_CLIENT_LIMITS, DEFAULT_UPSTREAM, GATEWAY_DEFAULT_PORT, loadGatewayConfig } from './config.js';
import { operationId } from './persisted/manifest.js';

const signingKey = testSigningKey('gateway');
const KEYS = {
  GATEWAY_SIGNING_KEY: JSON.stringify(signingKey),
  USER_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('users')) }),
};
/** The gateway's configuration from `env` plus the keys it always needs. */
const load = (env: Record<string, string | undefined>) => loadGatewayConfig({ ...KEYS, ...env });

describe('loadGatewayConfig', () => {
  it('behaves as production without NODE_ENV: no CORS origins, no introspection composition', () => {
    expect(load({})).toMatchObject({ nodeEnv: 'production', corsOrigins: [] });
    expect(configError(() => load({ SUPERGRAPH_SOURCE: 'introspect' }))).toContain('local development');
  });

  it('fills in development defaults', () => {
    const config = load({ NODE_ENV: 'development' });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 4000,
      host: '0.0.0.0',
      redisUrl: 'redis://127.0.0.1:6379',
      logLevel: 'info',
      supergraphSource: 'file',
      subgraphUrls: {},
      corsOrigins: ['*'],
    });
    expect(GATEWAY_DEFAULT_PORT).toBe(4000);
  });

  it('compresses answers from 1 KB by default; COMPRESSION and COMPRESSION_MIN_BYTES change that, and are checked', () => {
    expect(load({}).compression).toEqual({ enabled: true, minBytes: 1_024 });
    expect(load({ COMPRESSION: 'off', COMPRESSION_MIN_BYTES: '0' }).compression).toEqual({ enabled: false, minBytes: 0 });
    expect(configError(() => load({ COMPRESSION: 'yes' }))).toContain('COMPRESSION must be "on" or "off"');
    expect(configError(() => load({ COMPRESSION_MIN_BYTES: '-1' }))).toContain('COMPRESSION_MIN_BYTES');
  });

  it('serves automatic persisted queries by default; PERSISTED_QUERIES picks off, apq or safelist, and is checked', () => {
    expect(load({}).persistedQueries).toEqual({ mode: 'apq', operations: [] });
    expect(load({ PERSISTED_QUERIES: 'off' }).persistedQueries.mode).toBe('off');
    expect(configError(() => load({ PERSISTED_QUERIES: 'on' }))).toContain(
      'PERSISTED_QUERIES must be one of off, apq, safelist (got "on")',
    );
  });

  it('reads the safelist manifest at start-up, refusing a missing or malformed one by its variable', () => {
    expect(configError(() => load({ PERSISTED_QUERIES: 'safelist' }))).toContain(
      'PERSISTED_QUERIES=safelist needs PERSISTED_QUERIES_MANIFEST',
    );
    const dir = mkdtempSync(join(tmpdir(), 'gateway-config-'));
    expect(configError(() => load({ PERSISTED_QUERIES: 'safelist', PERSISTED_QUERIES_MANIFEST: join(dir, 'none.json') }))).toMatch(
      /^PERSISTED_QUERIES_MANIFEST: cannot read .*none\.json/,
    );
    const body = 'query Me {\n  me {\n    id\n  }\n}';
    const operation = { id: operationId(body), name: 'Me', type: 'query', body };
    const path = join(dir, 'manifest.json');
    writeFileSync(path, JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [operation] }));
    expect(load({ PERSISTED_QUERIES: 'safelist', PERSISTED_QUERIES_MANIFEST: path }).persistedQueries).toEqual({
      mode: 'safelist',
      operations: [operation],
    });
    writeFileSync(
      path,
      JSON.stringify({ format: 'apollo-persisted-query-manifest', version: 1, operations: [{ ...operation, body: '{ me { id name } }' }] }),
    );
    expect(configError(() => load({ PERSISTED_QUERIES: 'safelist', PERSISTED_QUERIES_MANIFEST: path }))).toContain(
      'id is not the SHA-256 of its body',
    );
  });

  it('points at the composed supergraph file in the repository by default', () => {
    const { supergraphPath } = load({});
    expect(supergraphPath.replace(/\\/g, '/')).toMatch(/\/schema\/supergraph\.graphql$/);
    expect(existsSync(supergraphPath)).toBe(true);
  });

  it('allows any browser origin in development and test, and none by default in production', () => {
    expect(load({ NODE_ENV: 'development' }).corsOrigins).toEqual(['*']);
    expect(load({ NODE_ENV: 'test' }).corsOrigins).toEqual(['*']);
    expect(load({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
  });

  it('reads a comma-separated origin list, ignoring blanks', () => {
    expect(load({ NODE_ENV: 'production', CORS_ORIGINS: 'https://shop.example.in, https://admin.example.in,,' }).corsOrigins).toEqual([
      'https://shop.example.in',
      'https://admin.example.in',
    ]);
  });

  it('overrides the routing URL of a named subgraph only', () => {
    const config = load({ CATALOG_URL: 'https://catalog.internal:8443/graphql' });
    expect(config.subgraphUrls).toEqual({ catalog: 'https://catalog.internal:8443/graphql' });
  });

  it('uses the local subgraph URLs when composing by introspection, with overrides', () => {
    expect(load({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'introspect' }).subgraphUrls).toEqual({
      users: 'http://localhost:4001/graphql',
      catalog: 'http://localhost:4002/graphql',
      orders: 'http://localhost:4003/graphql',
    });
    expect(
      load({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'introspect', ORDERS_URL: 'http://127.0.0.1:9003/graphql' }).subgraphUrls.orders,
    ).toBe('http://127.0.0.1:9003/graphql');
  });

  it('refuses a subgraph URL that is not http(s), naming the variable', () => {
    expect(configError(() => load({ USERS_URL: 'ftp://users/graphql' }))).toContain('USERS_URL');
    expect(configError(() => load({ ORDERS_URL: 'not a url' }))).toContain('ORDERS_URL');
  });

  it('refuses an unknown SUPERGRAPH_SOURCE', () => {
    const message = configError(() => load({ SUPERGRAPH_SOURCE: 'managed' }));
    expect(message).toContain('SUPERGRAPH_SOURCE');
    expect(message).toContain('managed');
  });

  it('refuses introspection in production', () => {
    expect(configError(() => load({ NODE_ENV: 'production', SUPERGRAPH_SOURCE: 'introspect' }))).toContain('SUPERGRAPH_SOURCE');
    expect(load({ NODE_ENV: 'production', SUPERGRAPH_SOURCE: 'file' }).supergraphSource).toBe('file');
  });

  it('reads port, host, Redis URL, log level and supergraph path', () => {
    const config = load({
      PORT: '8080',
      HOST: '127.0.0.1',
      REDIS_URL: 'rediss://cache:6380',
      LOG_LEVEL: 'error',
      SUPERGRAPH_PATH: '/srv/supergraph.graphql',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      redisUrl: 'rediss://cache:6380',
      logLevel: 'error',
      supergraphPath: '/srv/supergraph.graphql',
    });
    expect(configError(() => load({ PORT: 'eighty' }))).toContain('PORT');
    expect(configError(() => load({ NODE_ENV: 'prod' }))).toContain('NODE_ENV');
  });

  it('refuses to start without its signing key or the access-token keys, in any environment, never echoing a key', () => {
    for (const NODE_ENV of ['production', 'development', 'test']) {
      expect(configError(() => loadGatewayConfig({ NODE_ENV, USER_TOKEN_PUBLIC_KEYS: KEYS.USER_TOKEN_PUBLIC_KEYS }))).toContain(
        'GATEWAY_SIGNING_KEY',
      );
      expect(configError(() => loadGatewayConfig({ NODE_ENV, GATEWAY_SIGNING_KEY: KEYS.GATEWAY_SIGNING_KEY }))).toContain(
        'USER_TOKEN_PUBLIC_KEYS',
      );
    }
    const publicOnly = JSON.stringify(publicKeysOf(signingKey)[0]);
    expect(configError(() => load({ GATEWAY_SIGNING_KEY: publicOnly }))).toContain('private key');
    const broken = `${KEYS.GATEWAY_SIGNING_KEY.slice(0, -2)}`;
    expect(configError(() => load({ GATEWAY_SIGNING_KEY: broken }))).not.toContain(signingKey.d);
    expect(load({}).signingKey).toEqual(signingKey);
  });

  it('reads the client budgets and caps, each configurable and checked', () => {
    expect(load({}).clientLimits).toEqual(DEFAULT_CLIENT_LIMITS);
    expect(DEFAULT_CLIENT_LIMITS).toMatchObject({ requestsPerMinutePerUser: 600, requestsPerMinutePerIp: 3000, socketsPerUser: 10 });
    expect(load({ RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER: '120', LIMIT_SOCKETS_PER_IP: '50' }).clientLimits).toMatchObject({
      requestsPerMinutePerUser: 120,
      socketsPerIp: 50,
    });
    expect(configError(() => load({ LIMIT_SUBSCRIPTIONS_PER_USER: '0' }))).toContain('LIMIT_SUBSCRIPTIONS_PER_USER');
  });

  it('bounds subgraph calls by default: 10 s budget, 64 sockets, one retry, breaker after 5 failures for 10 s, sharing on', () => {
    expect(load({}).upstream).toEqual({ ...DEFAULT_UPSTREAM, subgraphTimeoutMs: {} });
    expect(DEFAULT_UPSTREAM).toEqual({
      timeoutMs: 10_000,
      maxSockets: 64,
      retries: 1,
      breakerFailures: 5,
      breakerOpenMs: 10_000,
      dedup: true,
    });
  });

  it('reads the subgraph call settings, with a timeout per subgraph over the common one', () => {
    const { upstream } = load({
      SUBGRAPH_TIMEOUT_MS: '3000',
      ORDERS_TIMEOUT_MS: '8000',
      SUBGRAPH_MAX_SOCKETS: '16',
      SUBGRAPH_RETRIES: '0',
      SUBGRAPH_BREAKER_FAILURES: '20',
      SUBGRAPH_BREAKER_OPEN_MS: '30000',
      SUBGRAPH_DEDUP: 'off',
    });
    expect(upstream).toEqual({
      timeoutMs: 3000,
      subgraphTimeoutMs: { orders: 8000 },
      maxSockets: 16,
      retries: 0,
      breakerFailures: 20,
      breakerOpenMs: 30_000,
      dedup: false,
    });
    expect(configError(() => load({ SUBGRAPH_DEDUP: 'maybe' }))).toContain('SUBGRAPH_DEDUP must be "on" or "off"');
  });

  it('refuses subgraph call settings out of range, naming the variable', () => {
    for (const [name, value] of [
      ['SUBGRAPH_TIMEOUT_MS', '0'],
      ['CATALOG_TIMEOUT_MS', 'soon'],
      ['SUBGRAPH_MAX_SOCKETS', '0'],
      ['SUBGRAPH_RETRIES', '5'],
      ['SUBGRAPH_BREAKER_FAILURES', '0'],
      ['SUBGRAPH_BREAKER_OPEN_MS', '10'],
    ]) {
      expect(configError(() => load({ [name]: value }))).toContain(name);
    }
  });
});
