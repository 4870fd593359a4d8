import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { signUpCustomer } from './helpers.js';

// The general per-client request budget, counted in Redis and so shared by every gateway instance:
// two gateway processes here share a Redis prefix of their own (apart from the rest of the run)
// and small budgets. A third gateway has no Redis at all.

type Service = Awaited<ReturnType<typeof startService>>;
const PER_IP = 12;
const PER_USER = 5;

function gatewayEnv(extra: Record<string, string> = {}) {
  const urls = inject('subgraphUrls');
  return {
    PORT: '0',
    NODE_ENV: 'test',
    USERS_URL: urls.users,
    CATALOG_URL: urls.catalog,
    ORDERS_URL: urls.orders,
    RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP: String(PER_IP),
    RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER: String(PER_USER),
    ...extra,
  };
}

async function ask(url: string, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query: '{ products(first: 1) { totalCount } }' }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
}

describe('the request budget across two gateway instances sharing Redis', () => {
  let a: Service;
  let b: Service;
  beforeAll(async () => {
    const shared = { REDIS_PREFIX: `budgets-${randomBytes(4).toString('hex')}` };
    [a, b] = await Promise.all([startService('gateway', gatewayEnv(shared)), startService('gateway', gatewayEnv(shared))]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('counts one user across both, apart from anonymous callers, and answers 429 RATE_LIMITED with Retry-After', async () => {
    const customer = await signUpCustomer();
    const answers = [];
    // Alternating between the instances: each alone would allow PER_USER.
    for (let i = 0; i < PER_USER + 2; i++) answers.push(await ask(i % 2 ? b.url : a.url, customer.token));
    expect(answers.slice(0, PER_USER).map((r) => r.status)).toEqual(Array(PER_USER).fill(200));
    for (const refused of answers.slice(PER_USER)) {
      expect(refused.status).toBe(429);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'requests-per-user' });
      expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    }
    // Anonymous callers from the same address have a budget of their own.
    expect((await ask(a.url)).status).toBe(200);
  });

  it('counts anonymous callers by address across both', async () => {
    const statuses = [];
    for (let i = 0; i < PER_IP + 2; i++) statuses.push((await ask(i % 2 ? b.url : a.url)).status);
    // One anonymous request was spent by the test before; whatever is left of PER_IP passes, the rest is refused.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(PER_IP);
    expect(statuses.slice(-2)).toEqual([429, 429]);
    // The other instance's /health is not budgeted.
    expect((await fetch(new URL('/health', b.url))).status).toBe(200);
  });
});

describe('the request budget with Redis unreachable', () => {
  let lonely: Service;
  beforeAll(async () => {
    // Nothing listens on port 1: budgets fall back to this instance's memory.
    lonely = await startService('gateway', gatewayEnv({ REDIS_URL: 'redis://127.0.0.1:1' }));
  }, 60_000);
  afterAll(() => lonely?.stop());

  it('neither blocks all traffic nor lets it through unlimited', async () => {
    const statuses = [];
    for (let i = 0; i < PER_IP + 3; i++) statuses.push((await ask(lonely.url)).status);
    expect(statuses.slice(0, PER_IP)).toEqual(Array(PER_IP).fill(200));
    expect(statuses.slice(PER_IP)).toEqual([429, 429, 429]);
    expect(lonely.child.exitCode).toBeNull();
    // Queries do not need Redis, so the gateway stays in rotation and says what is degraded.
    expect((await fetch(new URL('/ready', lonely.url))).status).toBe(200);
    const health = (await (await fetch(new URL('/health', lonely.url))).json()) as { redis: string };
    expect(health.redis).toMatch(/^unreachable/);
  });
});
