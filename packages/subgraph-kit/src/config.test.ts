import { describe, expect, it } from 'vitest';
import { configErrorMessage as configError } from '@supergraph/runtime/testing';
import { DEFAULT_OPERATION_LIMITS } from '@supergraph/limits';
import { loadSubgraphConfig } from './config.js';

const SECRET = 's'.repeat(32);

// The service settings underneath (PORT, REDIS_URL, NODE_ENV, …) are tested with loadServiceConfig in runtime.
describe('loadSubgraphConfig', () => {
  it('fills in development defaults', () => {
    const config = loadSubgraphConfig({ NODE_ENV: 'development', JWT_SECRET: SECRET }, 4321);
    expect(config).toEqual({
      nodeEnv: 'development',
      port: 4321,
      host: '127.0.0.1',
      mongodbUri: 'mongodb://127.0.0.1:27017/supergraph',
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'supergraph',
      jwtSecret: SECRET,
      logLevel: 'info',
      wsKeepAliveMs: 12_000,
      operationLimits: DEFAULT_OPERATION_LIMITS,
    });
  });

  it('reads every variable when set', () => {
    const config = loadSubgraphConfig(
      {
        NODE_ENV: 'production',
        JWT_SECRET: SECRET,
        PORT: '8080',
        HOST: '0.0.0.0',
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
      host: '0.0.0.0',
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
    const message = configError(() => loadSubgraphConfig({ NODE_ENV: 'development', JWT_SECRET: 's'.repeat(31) }, 1));
    expect(message).toContain('JWT_SECRET');
    expect(message).toContain('32');
    expect(loadSubgraphConfig({ NODE_ENV: 'development', JWT_SECRET: 's'.repeat(32) }, 1).jwtSecret).toHaveLength(32);
  });

  it('never echoes the secret in its error', () => {
    const short = 'hunter2-is-my-secret';
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: short }, 1))).not.toContain(short);
  });

  it('makes production name its database', () => {
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }, 1))).toContain('MONGODB_URI');
    // Without NODE_ENV a service is in production, so it needs a database named too.
    expect(configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET }, 1))).toContain('MONGODB_URI');
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

  it('refuses a database URL of the wrong kind without echoing it', () => {
    const uri = 'postgres://admin:topsecret@db/shop';
    const message = configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, MONGODB_URI: uri }, 1));
    expect(message).toContain('MONGODB_URI');
    expect(message).not.toContain('topsecret');
    const unparseable = configError(() => loadSubgraphConfig({ JWT_SECRET: SECRET, MONGODB_URI: 'not a url with secret-pw' }, 1));
    expect(unparseable).toContain('MONGODB_URI');
    expect(unparseable).not.toContain('secret-pw');
  });
});
