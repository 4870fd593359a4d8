import { describe, expect, it } from 'vitest';
import { configErrorMessage as configError } from '@supergraph/runtime/testing';
import { DEFAULT_OPERATION_LIMITS } from '@supergraph/limits';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { loadSubgraphConfig } from './config.js';

const gatewayKeys = publicKeysOf(testSigningKey('gateway'));
const userTokenKeys = publicKeysOf(testSigningKey('users'));
/** The keys every subgraph needs, as the environment gives them. */
const KEYS = {
  GATEWAY_PUBLIC_KEYS: JSON.stringify({ keys: gatewayKeys }),
  USER_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: userTokenKeys }),
};

// The service settings underneath (PORT, REDIS_URL, NODE_ENV, …) are tested with loadServiceConfig in runtime.
describe('loadSubgraphConfig', () => {
  it('fills in development defaults', () => {
    const config = loadSubgraphConfig({ NODE_ENV: 'development', ...KEYS }, 4321);
    expect(config).toEqual({
      nodeEnv: 'development',
      port: 4321,
      host: '127.0.0.1',
      mongodbUri: 'mongodb://127.0.0.1:27017/supergraph',
      mongodbServerSelectionTimeoutMs: 2_000,
      mongodbOperationTimeoutMs: 15_000,
      redisUrl: 'redis://127.0.0.1:6379',
      redisPrefix: 'supergraph',
      gatewayKeys,
      userTokenKeys,
      serviceCallers: [],
      logLevel: 'info',
      wsKeepAliveMs: 12_000,
      shutdownDrainMs: 0,
      shutdownDeadlineMs: 10_000,
      metricsPort: undefined,
      operationLimits: DEFAULT_OPERATION_LIMITS,
      outbox: { pollMs: 1_000, retentionMs: 120_000 },
    });
  });

  it.each([
    ['MONGODB_SERVER_SELECTION_TIMEOUT_MS', '0'],
    ['MONGODB_SERVER_SELECTION_TIMEOUT_MS', '2s'],
    ['MONGODB_OPERATION_TIMEOUT_MS', '-1'],
    ['MONGODB_OPERATION_TIMEOUT_MS', '600001'],
  ])('refuses %s=%s, naming the variable and its range', (name, value) => {
    expect(() => loadSubgraphConfig({ NODE_ENV: 'development', ...KEYS, [name]: value }, 1)).toThrow(
      new RegExp(`${name} must be a whole number from \\d+ to \\d+`),
    );
  });

  it('reads every variable when set', () => {
    const config = loadSubgraphConfig(
      {
        NODE_ENV: 'production',
        ...KEYS,
        PORT: '8080',
        HOST: '0.0.0.0',
        MONGODB_URI: 'mongodb+srv://user:pw@cluster.example.net/shop',
        REDIS_URL: 'rediss://cache.example.net:6380',
        REDIS_PREFIX: 'staging',
        LOG_LEVEL: 'debug',
        OUTBOX_POLL_MS: '2500',
        OUTBOX_RETENTION_MS: '3600000',
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '500',
        MONGODB_OPERATION_TIMEOUT_MS: '4000',
      },
      1,
    );
    expect(config).toMatchObject({
      outbox: { pollMs: 2_500, retentionMs: 3_600_000 },
      mongodbServerSelectionTimeoutMs: 500,
      mongodbOperationTimeoutMs: 4_000,
      nodeEnv: 'production',
      port: 8080,
      host: '0.0.0.0',
      mongodbUri: 'mongodb+srv://user:pw@cluster.example.net/shop',
      redisUrl: 'rediss://cache.example.net:6380',
      redisPrefix: 'staging',
      logLevel: 'debug',
    });
  });

  it('refuses an outbox poll interval or retention out of range, naming the variable', () => {
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'test', ...KEYS, OUTBOX_POLL_MS: '10' }, 1))).toContain('OUTBOX_POLL_MS');
    // A subscriber catching up after an outage reads sent events back: they must be kept a while.
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'test', ...KEYS, OUTBOX_RETENTION_MS: '1000' }, 1))).toContain(
      'OUTBOX_RETENTION_MS',
    );
  });

  it('refuses to start without the keys it verifies with, in any environment', () => {
    for (const NODE_ENV of ['production', 'development', 'test']) {
      const env = { NODE_ENV, MONGODB_URI: 'mongodb://db:27017/shop' };
      expect(configError(() => loadSubgraphConfig({ ...env, USER_TOKEN_PUBLIC_KEYS: KEYS.USER_TOKEN_PUBLIC_KEYS }, 1))).toContain(
        'GATEWAY_PUBLIC_KEYS',
      );
      expect(configError(() => loadSubgraphConfig({ ...env, GATEWAY_PUBLIC_KEYS: KEYS.GATEWAY_PUBLIC_KEYS }, 1))).toContain(
        'USER_TOKEN_PUBLIC_KEYS',
      );
    }
  });

  it('lets the users subgraph, which signs access tokens, go without USER_TOKEN_PUBLIC_KEYS', () => {
    const config = loadSubgraphConfig({ NODE_ENV: 'test', GATEWAY_PUBLIC_KEYS: KEYS.GATEWAY_PUBLIC_KEYS }, 1, { signsUserTokens: true });
    expect(config.userTokenKeys).toEqual([]);
  });

  it('refuses a private key where a public one belongs, without echoing it', () => {
    const privateKey = testSigningKey('gateway');
    const message = configError(() =>
      loadSubgraphConfig({ NODE_ENV: 'test', ...KEYS, GATEWAY_PUBLIC_KEYS: JSON.stringify({ keys: [privateKey] }) }, 1),
    );
    expect(message).toContain('GATEWAY_PUBLIC_KEYS');
    expect(message).not.toContain(privateKey.d);
  });

  it('makes production name its database', () => {
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'production', ...KEYS }, 1))).toContain('MONGODB_URI');
    // Without NODE_ENV a service is in production, so it needs a database named too.
    expect(configError(() => loadSubgraphConfig({ ...KEYS }, 1))).toContain('MONGODB_URI');
    expect(configError(() => loadSubgraphConfig({ NODE_ENV: 'production', ...KEYS, MONGODB_URI: '' }, 1))).toContain('MONGODB_URI');
    expect(loadSubgraphConfig({ NODE_ENV: 'production', ...KEYS, MONGODB_URI: 'mongodb://db:27017/shop' }, 1).mongodbUri).toBe(
      'mongodb://db:27017/shop',
    );
  });

  it('uses the local database outside production', () => {
    expect(loadSubgraphConfig({ NODE_ENV: 'test', ...KEYS }, 1).mongodbUri).toBe('mongodb://127.0.0.1:27017/supergraph');
  });

  it('refuses a database URL of the wrong kind without echoing it', () => {
    const uri = 'postgres://admin:topsecret@db/shop';
    const message = configError(() => loadSubgraphConfig({ ...KEYS, MONGODB_URI: uri }, 1));
    expect(message).toContain('MONGODB_URI');
    expect(message).not.toContain('topsecret');
    const unparseable = configError(() => loadSubgraphConfig({ ...KEYS, MONGODB_URI: 'not a url with secret-pw' }, 1));
    expect(unparseable).toContain('MONGODB_URI');
    expect(unparseable).not.toContain('secret-pw');
  });
});
