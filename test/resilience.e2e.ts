import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { logInToken } from './helpers.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { graphqlData } from '../scripts/lib/graphql-http.mjs';
import { startService, startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { privateRedis, type PrivateRedis } from './private-redis.js';
import { collect, redisChannel, redisSubscribers, subscriptionStats, wsClient, wsUrl } from './ws-helpers.js';

// Faults need a Redis and services of their own: this file starts a private
// redis-server and a full stack against it, then breaks them on purpose.

// How long to wait for a service or Redis to come round, and how often to look.
const POLL = { timeout: 20_000, interval: 100 };

let redis: PrivateRedis;
let redisUrl: string;
let stack: Awaited<ReturnType<typeof startStack>>;
let env: Record<string, string>;
let adminToken: string;

const startRedis = () => redis.start();
const stopRedis = () => redis.stop();

const ok = (query: string, variables: Record<string, unknown>, token?: string) =>
  graphqlData(stack.gateway.url, query, variables, { token });

beforeAll(async () => {
  redis = await privateRedis(POLL);
  redisUrl = redis.url;
  await startRedis();
  const admin = { email: 'resilience-admin@test.in', password: randomBytes(12).toString('base64url') };
  env = {
    NODE_ENV: 'test',
    MONGODB_URI: withDatabase(process.env.TEST_MONGODB_URI!, `resilience_${Date.now()}`),
    REDIS_URL: redisUrl,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    WS_KEEPALIVE_MS: '300',
  };
  stack = await startStack(env);
  adminToken = await logInToken(admin.email, admin.password, stack.gateway.url);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

async function newProduct(stock = 50) {
  const input = {
    sku: `RES-${randomBytes(4).toString('hex')}`.toUpperCase(),
    name: 'Resilient Lantern',
    category: 'Test',
    pricePaise: 10000,
    stock,
  };
  return (await ok('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken)).createProduct
    .id as string;
}

describe('keep-alive', () => {
  it('pings idle sockets so proxies and mobile networks keep them open', async () => {
    const socket = new WebSocket(wsUrl(stack.gateway.url), 'graphql-transport-ws');
    let pings = 0;
    socket.on('ping', () => pings++);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    // Idle, the socket is pinged again and again (every 300 ms here) and stays open.
    await expect.poll(() => pings, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(3);
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close();
  });
});

describe('Redis restarting', () => {
  it('crashes nothing, logs the gap, and subscriptions deliver again once it is back', async () => {
    const productId = await newProduct();
    const channel = redisChannel(`product.updated.${productId}`);
    const client = wsClient(undefined, wsUrl(stack.gateway.url));
    try {
      const feed = collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { pricePaise } }', { id: productId });
      await expect.poll(() => redisSubscribers(channel, redisUrl), POLL).toBeGreaterThan(0);

      await stopRedis();
      // No fixed sleep: once every service has noticed the outage (each logs it once), a crash over it would have happened.
      const services = [stack.users, stack.catalog, stack.orders, stack.gateway];
      await vi.waitFor(
        () => {
          const unaware = services.filter((s) => !s.logs.some((line: string) => line.includes('"msg":"redis unavailable"')));
          if (unaware.length) throw new Error(`not yet logged "redis unavailable": ${unaware.map((s) => s.name).join(', ')}`);
        },
        { timeout: 10_000, interval: 50 },
      );
      for (const service of services) expect(service.child.exitCode, service.name).toBeNull();
      // Still ready (queries and mutations do not need Redis); /health says subscriptions are degraded.
      const catalogHealth = async () => ((await (await fetch(new URL('/health', stack.catalog.url))).json()) as { redis: string }).redis;
      await expect.poll(catalogHealth, POLL).toMatch(/^unreachable/);
      expect((await fetch(new URL('/ready', stack.catalog.url))).status).toBe(200);

      await startRedis();
      await expect.poll(catalogHealth, POLL).toBe('ok');
      // Restored on the new Redis.
      await expect.poll(() => redisSubscribers(channel, redisUrl), POLL).toBeGreaterThan(0);
      await ok('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 12345 }) { id } }', { id: productId }, adminToken);
      const events = await feed.waitFor(1);
      expect(events.at(-1)).toEqual({ productUpdated: { pricePaise: 12345 } });
      const catalogLog = stack.catalog.logs.join('\n');
      expect(catalogLog).toMatch(/"msg":"redis unavailable"/);
      // pino writes the message after the fields: read the lines rather than their order.
      const back = stack.catalog.logs.filter((line: string) => line.includes('"msg":"redis back"')).map((line: string) => JSON.parse(line));
      expect(back.length).toBeGreaterThan(0);
      for (const entry of back) expect(entry.downForMs).toEqual(expect.any(Number));
    } finally {
      await client.dispose();
    }
  }, 60_000);
});

describe('a subgraph restarting', () => {
  it("does not end the gateway's other subscriptions, and its own resume when it is back", async () => {
    const productId = await newProduct();
    const signUp = await ok('mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
      i: { name: 'Restart Tester', email: `restart-${Date.now()}@test.in`, password: 'restart-pass-1' },
    });
    const { placeOrder } = await ok(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      {
        input: { items: [{ productId, quantity: 1 }] },
      },
      signUp.signUp.token,
    );
    const client = wsClient(signUp.signUp.token, wsUrl(stack.gateway.url));
    const adminClient = wsClient(adminToken, wsUrl(stack.gateway.url));
    try {
      const orderFeed = collect(client, 'subscription($id: ID!) { orderStatusChanged(id: $id) { status user { name } } }', {
        id: placeOrder.id,
      });
      const productFeed = collect(adminClient, 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', { id: productId });
      const productChannel = redisChannel(`product.updated.${productId}`);
      await expect.poll(() => redisSubscribers(productChannel, redisUrl), POLL).toBeGreaterThan(0);
      await expect.poll(() => redisSubscribers(redisChannel(`order.status.${placeOrder.id}`), redisUrl), POLL).toBeGreaterThan(0);

      const port = stack.catalog.port;
      await stack.catalog.stop();
      // The order subscription lives on: orders and users are untouched.
      await ok('mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { id } }', { id: placeOrder.id }, adminToken);
      expect((await orderFeed.waitFor(1))[0]).toEqual({ orderStatusChanged: { status: 'CONFIRMED', user: { name: 'Restart Tester' } } });

      stack.catalog = await startService('catalog', { ...env, PORT: String(port) });
      // The gateway resubscribes to the restarted catalog.
      await expect.poll(() => redisSubscribers(productChannel, redisUrl), POLL).toBeGreaterThan(0);
      await ok('mutation($id: ID!) { restock(id: $id, quantity: 5) { id } }', { id: productId }, adminToken);
      expect((await productFeed.waitFor(1)).at(-1)).toEqual({ productUpdated: { stock: 54 } });
      expect(orderFeed.completed).toBe(false);
      expect(orderFeed.errors).toEqual([]);
    } finally {
      await Promise.all([client.dispose(), adminClient.dispose()]);
    }
  }, 60_000);
});

describe('gateway shutdown', () => {
  it('closes open sockets with 1001 (going away) and exits cleanly', async () => {
    const productId = await newProduct();
    const closeCodes: number[] = [];
    const client = createClient({
      url: wsUrl(stack.gateway.url),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      on: { closed: (event) => closeCodes.push((event as { code: number }).code) },
    });
    const feed = collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', { id: productId });
    // And an event-stream client, whose HTTP response must end too.
    const { createClient: createSseClient } = await import('graphql-sse');
    const sseClient = createSseClient({ url: stack.gateway.url, retryAttempts: 0 });
    let sseEnding: 'complete' | 'error' | null = null;
    sseClient.subscribe(
      { query: 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', variables: { id: productId } },
      { next: () => {}, error: () => (sseEnding = 'error'), complete: () => (sseEnding = 'complete') },
    );
    await expect.poll(async () => (await subscriptionStats(stack.gateway.url)).subscriptions, POLL).toBeGreaterThanOrEqual(2);
    await expect.poll(() => redisSubscribers(redisChannel(`product.updated.${productId}`), redisUrl), POLL).toBeGreaterThan(0);
    await stack.gateway.stop();
    expect(stack.gateway.child.exitCode).toBe(0);
    await expect.poll(() => closeCodes.length, { timeout: 5_000, interval: 50 }).toBeGreaterThan(0);
    expect(closeCodes[0]).toBe(1001);
    expect(feed.events).toEqual([]);
    // Completed by the server, not cut off when its grace period ran out.
    await expect.poll(() => sseEnding, { timeout: 5_000, interval: 50 }).not.toBeNull();
    expect(sseEnding).toBe('complete');
    // The gateway's streams were its last users of the upstream: the subgraph let go of Redis too.
    await expect
      .poll(() => redisSubscribers(redisChannel(`product.updated.${productId}`), redisUrl), { timeout: 5_000, interval: 100 })
      .toBe(0);
    await client.dispose();
    sseClient.dispose();
  }, 30_000);
});
