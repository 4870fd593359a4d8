// Shared by this package's unit tests only: not built into dist (tsconfig.json leaves *.fixture.ts out), not exported.
import { once } from 'node:events';
import { afterAll, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createLogger, createRedisClient, FAIL_FAST_REDIS_OPTIONS } from '@supergraph/runtime';
import type { CacheDeps } from './cache-deps.js';
import { DEFAULT_CACHE_CONFIG, type CacheConfig } from './config.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const logger = createLogger('cache-test', 'silent');

/** A fail-fast client as the services use, connected (with no offline queue, a command before "ready" would fail). */
export async function readyClient(url = REDIS_URL): Promise<Redis> {
  const client = createRedisClient(url, logger, 'cache-test', { ...FAIL_FAST_REDIS_OPTIONS });
  if (client.status !== 'ready') await once(client, 'ready');
  return client;
}

/** A fresh key prefix per test, so tests and runs never see each other's keys. */
export const freshPrefix = () => `test-cache-${randomBytes(6).toString('hex')}`;

export function depsOf(redis: Redis, prefix: string, config: Partial<CacheConfig> = {}): CacheDeps {
  return { redis, prefix, logger, config: { ...DEFAULT_CACHE_CONFIG, lockMs: 2_000, ...config } };
}

/** A JSON codec for plain test values. */
export const jsonCodec = { encode: (value: unknown) => JSON.stringify(value), decode: (text: string) => JSON.parse(text) as never };

/** A stand-in database: counts the reads it serves and which ids each asked for. */
export function fakeDatabase<T>(rows: Map<string, T>) {
  const queries: string[][] = [];
  return {
    rows,
    queries,
    load: async (ids: string[]) => {
      queries.push([...ids]);
      return new Map(ids.flatMap((id) => (rows.has(id) ? [[id, rows.get(id)!] as const] : [])));
    },
  };
}

/** A promise and the function that settles it, to hold a database read open at a chosen moment. */
export function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Two connected clients for the test file, standing for two instances of a service sharing one
 * Redis; read them inside tests (they connect in beforeAll).
 */
export function twoInstances(): { a: Redis; b: Redis } {
  const clients = {} as { a: Redis; b: Redis };
  beforeAll(async () => {
    [clients.a, clients.b] = await Promise.all([readyClient(), readyClient()]);
  });
  afterAll(() => {
    clients.a?.disconnect();
    clients.b?.disconnect();
  });
  return clients;
}
