import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createRateLimit, type RateLimitRule } from './index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clients: Redis[] = [];
afterAll(() => clients.forEach((client) => client.disconnect()));

/** A client as a service would hold it for rate limiting: no offline queue, so a Redis outage shows at once. */
function redisClient(url = REDIS_URL): Redis {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 1_000, lazyConnect: false });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

const rule = (points: number): RateLimitRule => ({ name: `test-${randomBytes(4).toString('hex')}`, points, durationSeconds: 60 });
const prefix = `unit-${randomBytes(4).toString('hex')}`;

async function codeOf(promise: Promise<unknown>) {
  try {
    await promise;
    return null;
  } catch (error) {
    return (error as { extensions?: Record<string, unknown> }).extensions;
  }
}

describe('rate limits on Redis', () => {
  it('allows the budget, then refuses with RATE_LIMITED and when to retry', async () => {
    const limit = createRateLimit(rule(3), { redis: redisClient(), prefix });
    await expect.poll(() => clients.at(-1)!.status).toBe('ready');
    for (let i = 0; i < 3; i++) expect(await codeOf(limit.consume('acct-1', 'Too many attempts'))).toBeNull();
    const refused = await codeOf(limit.consume('acct-1', 'Too many attempts'));
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', limit: limit.rule.name });
    expect(refused?.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused?.retryAfterSeconds).toBeLessThanOrEqual(60);
    // Other keys have their own budget.
    expect(await codeOf(limit.consume('acct-2', 'Too many attempts'))).toBeNull();
  });

  it('counts across instances: two services sharing Redis share one budget', async () => {
    const shared = rule(4);
    const a = createRateLimit(shared, { redis: redisClient(), prefix });
    const b = createRateLimit(shared, { redis: redisClient(), prefix });
    await expect.poll(() => clients.at(-1)!.status).toBe('ready');
    await a.consume('ip-1', 'x');
    await b.consume('ip-1', 'x');
    await a.consume('ip-1', 'x');
    await b.consume('ip-1', 'x');
    expect(await codeOf(a.consume('ip-1', 'x'))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await codeOf(b.consume('ip-1', 'x'))).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('takes several points at once, and gives points back', async () => {
    const limit = createRateLimit(rule(10), { redis: redisClient(), prefix });
    await limit.consume('buyer', 'too many units', 7);
    expect((await codeOf(limit.consume('buyer', 'too many units', 4)))?.code).toBe('RATE_LIMITED');
    await limit.giveBack('buyer', 5);
    expect(await codeOf(limit.consume('buyer', 'too many units', 4))).toBeNull();
  });

  it('forgets a key on reset, giving it its whole budget back', async () => {
    const limit = createRateLimit(rule(2), { redis: redisClient(), prefix });
    await expect.poll(() => clients.at(-1)!.status).toBe('ready');
    await limit.consume('acct', 'x');
    await limit.consume('acct', 'x');
    expect(await codeOf(limit.consume('acct', 'Locked'))).toMatchObject({ code: 'RATE_LIMITED' });
    await limit.reset('acct');
    expect(await codeOf(limit.consume('acct', 'x'))).toBeNull();
    expect(await codeOf(limit.consume('acct', 'x'))).toBeNull();
  });

  it('keeps limiting in memory while Redis cannot be reached, never failing open or erroring', async () => {
    // Nothing listens on port 1.
    const limit = createRateLimit(rule(2), { redis: redisClient('redis://127.0.0.1:1'), prefix });
    expect(await codeOf(limit.consume('acct', 'x'))).toBeNull();
    expect(await codeOf(limit.consume('acct', 'x'))).toBeNull();
    expect(await codeOf(limit.consume('acct', 'Too many attempts'))).toMatchObject({ code: 'RATE_LIMITED' });
    expect(await codeOf(limit.consume('acct', 'Locked'))).toMatchObject({ code: 'RATE_LIMITED' });
  });
});
