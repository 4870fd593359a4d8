import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, FAIL_FAST_REDIS_OPTIONS } from '@supergraph/runtime';
import { APQ_TTL_SECONDS, RedisDocumentStore } from './redis-document-store.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `test-apq-${randomUUID().slice(0, 8)}`;
const hash = () => randomBytes(32).toString('hex');
const clients: Redis[] = [];
function client(url = REDIS_URL): Redis {
  const redis = new Redis(url, { ...FAIL_FAST_REDIS_OPTIONS, retryStrategy: () => 1_000 });
  redis.on('error', () => {});
  clients.push(redis);
  return redis;
}

/** A fail-fast client refuses commands until connected: wait for that. */
async function connected(url = REDIS_URL): Promise<Redis> {
  const redis = client(url);
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

afterAll(() => {
  for (const redis of clients) redis.disconnect();
});

describe('RedisDocumentStore', () => {
  it('keeps documents under the deployment prefix, for a day unless told, and every instance sees them', async () => {
    const redis = await connected();
    const first = new RedisDocumentStore(redis, prefix, createLogger('test', 'error'));
    const second = new RedisDocumentStore(await connected(), prefix, createLogger('test', 'error'));
    const h = hash();
    expect(await second.get(`apq:${h}`)).toBeUndefined();
    await first.set(`apq:${h}`, '{ me { id } }');
    expect(await second.get(`apq:${h}`)).toBe('{ me { id } }');
    expect(await redis.get(`${prefix}:apq:${h}`)).toBe('{ me { id } }');
    const ttl = await redis.ttl(`${prefix}:apq:${h}`);
    expect(ttl).toBeGreaterThan(APQ_TTL_SECONDS - 60);
    expect(ttl).toBeLessThanOrEqual(APQ_TTL_SECONDS);
    await first.set(`apq:${hash()}`, '{ a }', { ttl: 30 });
    expect(await first.delete(`apq:${h}`)).toBe(true);
    expect(await second.get(`apq:${h}`)).toBeUndefined();
  });

  it('ignores keys that hold no SHA-256, so clients cannot choose Redis keys', async () => {
    const redis = await connected();
    const store = new RedisDocumentStore(redis, prefix, createLogger('test', 'error'));
    await store.set('apq:../../other', '{ a }');
    await store.set(`apq:${'A'.repeat(64)}`, '{ a }');
    expect(await redis.keys(`${prefix}:apq:*[^0-9a-f]*`)).toEqual([]);
    expect(await store.get('apq:../../other')).toBeUndefined();
  });

  it('without Redis, a lookup is a miss and a registration is dropped, with one warning per outage', async () => {
    const lines: string[] = [];
    const store = new RedisDocumentStore(
      client('redis://127.0.0.1:1'),
      prefix,
      createLogger('test', 'warn', (line) => lines.push(line)),
    );
    const h = hash();
    await expect(store.set(`apq:${h}`, '{ secretField }')).resolves.toBeUndefined();
    await expect(store.get(`apq:${h}`)).resolves.toBeUndefined();
    await expect(store.delete(`apq:${h}`)).resolves.toBe(false);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('persisted query store unavailable');
    // Neither the hash nor the document reaches the log.
    expect(lines[0]).not.toContain(h);
    expect(lines[0]).not.toContain('secretField');
  });
});
