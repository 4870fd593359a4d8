import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { configErrorMessage as configError } from '@supergraph/runtime/testing';
import { GATEWAY_DEFAULT_PORT, loadGatewayConfig } from './config.js';

describe('loadGatewayConfig', () => {
  it('behaves as production without NODE_ENV: no CORS origins, no introspection composition', () => {
    expect(loadGatewayConfig({})).toMatchObject({ nodeEnv: 'production', corsOrigins: [] });
    expect(configError(() => loadGatewayConfig({ SUPERGRAPH_SOURCE: 'introspect' }))).toContain('local development');
  });

  it('fills in development defaults', () => {
    const config = loadGatewayConfig({ NODE_ENV: 'development' });
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

  it('points at the composed supergraph file in the repository by default', () => {
    const { supergraphPath } = loadGatewayConfig({});
    expect(supergraphPath.replace(/\\/g, '/')).toMatch(/\/schema\/supergraph\.graphql$/);
    expect(existsSync(supergraphPath)).toBe(true);
  });

  it('allows any browser origin in development and test, and none by default in production', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'development' }).corsOrigins).toEqual(['*']);
    expect(loadGatewayConfig({ NODE_ENV: 'test' }).corsOrigins).toEqual(['*']);
    expect(loadGatewayConfig({ NODE_ENV: 'production' }).corsOrigins).toEqual([]);
  });

  it('reads a comma-separated origin list, ignoring blanks', () => {
    expect(
      loadGatewayConfig({ NODE_ENV: 'production', CORS_ORIGINS: 'https://shop.example.in, https://admin.example.in,,' }).corsOrigins,
    ).toEqual(['https://shop.example.in', 'https://admin.example.in']);
  });

  it('overrides the routing URL of a named subgraph only', () => {
    const config = loadGatewayConfig({ CATALOG_URL: 'https://catalog.internal:8443/graphql' });
    expect(config.subgraphUrls).toEqual({ catalog: 'https://catalog.internal:8443/graphql' });
  });

  it('uses the local subgraph URLs when composing by introspection, with overrides', () => {
    expect(loadGatewayConfig({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'introspect' }).subgraphUrls).toEqual({
      users: 'http://localhost:4001/graphql',
      catalog: 'http://localhost:4002/graphql',
      orders: 'http://localhost:4003/graphql',
    });
    expect(
      loadGatewayConfig({ NODE_ENV: 'development', SUPERGRAPH_SOURCE: 'introspect', ORDERS_URL: 'http://127.0.0.1:9003/graphql' })
        .subgraphUrls.orders,
    ).toBe('http://127.0.0.1:9003/graphql');
  });

  it('refuses a subgraph URL that is not http(s), naming the variable', () => {
    expect(configError(() => loadGatewayConfig({ USERS_URL: 'ftp://users/graphql' }))).toContain('USERS_URL');
    expect(configError(() => loadGatewayConfig({ ORDERS_URL: 'not a url' }))).toContain('ORDERS_URL');
  });

  it('refuses an unknown SUPERGRAPH_SOURCE', () => {
    const message = configError(() => loadGatewayConfig({ SUPERGRAPH_SOURCE: 'managed' }));
    expect(message).toContain('SUPERGRAPH_SOURCE');
    expect(message).toContain('managed');
  });

  it('refuses introspection in production', () => {
    expect(configError(() => loadGatewayConfig({ NODE_ENV: 'production', SUPERGRAPH_SOURCE: 'introspect' }))).toContain(
      'SUPERGRAPH_SOURCE',
    );
    expect(loadGatewayConfig({ NODE_ENV: 'production', SUPERGRAPH_SOURCE: 'file' }).supergraphSource).toBe('file');
  });

  it('reads port, host, Redis URL, log level and supergraph path', () => {
    const config = loadGatewayConfig({
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
    expect(configError(() => loadGatewayConfig({ PORT: 'eighty' }))).toContain('PORT');
    expect(configError(() => loadGatewayConfig({ NODE_ENV: 'prod' }))).toContain('NODE_ENV');
  });
});
