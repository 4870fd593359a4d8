import { describe, expect, it } from 'vitest';
import { configErrorMessage as configError } from '@supergraph/runtime/testing';
import { loadSubgraphConfig } from './config.js';

const SECRET = 's'.repeat(32);

describe('loadSubgraphConfig', () => {
  it('fills in development defaults', () => {
    const config = loadSubgraphConfig({ JWT_SECRET: SECRET }, 4321);
    expect(config).toEqual({
      nodeEnv: 'development',
      port: 4321,
      host: '0.0.0.0',
      mongodbUri: 'mongodb://127.0.0.1:27017/supergraph',
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'supergraph',
      jwtSecret: SECRET,
      logLevel: 'info',
      wsKeepAliveMs: 12_000,
    });
  });

  it('reads WS_KEEPALIVE_MS and refuses nonsense', () => {
    expect(loadSubgraphConfig({ JWT_SECRET: SECRET, WS_KEEPALIVE_MS: '500' }, 1).wsKeepAliveMs).toBe(500);
    for (const raw of ['0', '99', 'soon', '1e4', '300001']) {
      expect(() => loadSubgraphConfig({ JWT_SECRET: SECRET, WS_KEEPALIVE_MS: raw }, 1), raw).toThrow(/WS_KEEPALIVE_MS/);
    }
  });

  it('reads every variable when set', () => {
    const config = loadSubgraphConfig(
      {
        NODE_ENV: 'production',
        JWT_SECRET: SECRET,
        PORT: '8080',
        HOST: '127.0.0.1',
        MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/shop',
        REDIS_URL: 'rediss://cache.example.net:6380',
        REDIS_PREFIX: 'staging',
        LOG_LEVEL: 'debug',
      },
      1,
    );
    expect(config).toMatchObject({
      nodeEnv: 'production',
      port: 8080,
      host: '127.0.0.1',
      mongodbUri: 'mongodb+srv://user:pw@cluster.example.net/shop',
      redisUrl: 'rediss://cache.example.net:6380',
      redisPrefix: 'staging',
      logLevel: 'debug',
    });
  });

  it('requires JWT_SECRET', () => {
    expect(configError(() => loadSubgraphConfig({}, 1))).toContain('JWT_SECRET');
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: '   ' }, 1))).toContain('JWT_SECRET');
  });

  it('refuses a JWT_SECRET shorter than 32 characters', () => {
    const message = configError(() => loadSubgraphConfig({ JWT_SECRET: 's'.repeat(31) }, 1));
    expect(message).toContain('JWT_SECRET');
    expect(message).toContain('32');
    expect(loadSubgraphConfig({ JWT_SECRET: 's'.repeat(32) }, 1).jwtSecret).toHaveLength(32);
  });

  it('never echoes the secret in its error', () => {
    const short = 'hunter2-is-my-secret';
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: short }, 1))).not.toContain(short);
  });

  it('makes production name its database', () => {
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }, 1))).toContain('MONGODB_URI');
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, MONGODB_URI: '' }, 1))).toContain(
      'MONGODB_URI',
    );
    expect(loadSubgraphConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, MONGODB_URI: 'mongodb://db:27017/shop' }, 1).mongodbUri).toBe(
      'mongodb://db:27017/shop',
    );
  });

  it('uses the local database outside production', () => {
    expect(loadSubgraphConfig({ NODE_ENV: 'test', JWT_SECRET: SECRET }, 1).mongodbUri).toBe('mongodb://127.0.0.1:27017/supergraph');
  });

  it.each(['abc', '70000', '-1', '1.5', '65536'])('refuses PORT=%s naming PORT', (port) => {
    const message = configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, PORT: port }, 1));
    expect(message).toContain('PORT');
    expect(message).toContain(port);
  });

  it('accepts PORT=0 (any free port) and PORT=65535', () => {
    expect(loadSubgraphConfig({ JWT_SECRET: SECRET, PORT: '0' }, 1).port).toBe(0);
    expect(loadSubgraphConfig({ JWT_SECRET: SECRET, PORT: '65535' }, 1).port).toBe(65535);
  });

  it('refuses a database URL of the wrong kind without echoing it', () => {
    const uri = 'postgres://admin:topsecret@db/shop';
    const message = configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, MONGODB_URI: uri }, 1));
    expect(message).toContain('MONGODB_URI');
    expect(message).not.toContain('topsecret');
    const unparseable = configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, MONGODB_URI: 'not a url with secret-pw' }, 1));
    expect(unparseable).toContain('MONGODB_URI');
    expect(unparseable).not.toContain('secret-pw');
  });

  it('refuses a Redis URL that is not redis: or rediss:', () => {
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, REDIS_URL: 'http://cache:6379' }, 1))).toContain('REDIS_URL');
  });

  it('refuses an unknown NODE_ENV and LOG_LEVEL', () => {
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, NODE_ENV: 'staging' }, 1))).toContain('NODE_ENV');
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, LOG_LEVEL: 'verbose' }, 1))).toContain('LOG_LEVEL');
  });
});
