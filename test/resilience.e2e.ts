import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startService, startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { pingRedis } from '../scripts/lib/redis.mjs';
import { gql } from './helpers.js';
import { collect, redisChannel, redisSubscribers, subscriptionStats, wsClient, wsUrl } from './ws-helpers.js';

// Faults need a Redis and services of their own: this file starts a private
// redis-server and a full stack against it, then breaks them on purpose.

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let redisPort: number;
let redisUrl: string;
let redisProcess: ChildProcess;
let stack: Awaited<ReturnType<typeof startStack>>;
let env: Record<string, string>;
let adminToken: string;

function startRedis(): Promise<void> {
  redisProcess = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  return until(() => pingRedis(redisUrl), 'the private redis-server');
}

function stopRedis(): Promise<void> {
  return new Promise((resolve) => {
    if (redisProcess.exitCode !== null) return resolve();
    redisProcess.once('exit', () => resolve());
    redisProcess.kill('SIGTERM');
  });
}

const ok = async (query: string, variables: Record<string, unknown>, token?: string) => {
  const result = await gql(query, variables, token, stack.gateway.url);
  if (result.errors) throw new Error(JSON.stringify(result.errors));
  return result.data;
};

beforeAll(async () => {
  redisPort = await freePort();
  redisUrl = `redis://127.0.0.1:${redisPort}`;
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
  adminToken = (await ok('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: admin.email, p: admin.password })).logIn.token;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  if (redisProcess) await stopRedis();
});

async function newProduct(stock = 50) {
  const input = { sku: `RES-${randomBytes(4).toString('hex')}`.toUpperCase(), name: 'Resilient Lantern', category: 'Test', pricePaise: 10000, stock };
  return (await ok('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken)).createProduct.id as string;
}

describe('keep-alive', () => {
  it('pings idle sockets so proxies and mobile networks keep them open', async () => {
    const socket = new WebSocket(wsUrl(stack.gateway.url), 'graphql-transport-ws');
    let pings = 0;
    socket.on('ping', () => pings++);
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    // Idle, the socket is pinged again and again (every 300 ms here) and stays open.
    await until(async () => pings >= 3, 'three pings', 10_000);
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
      await until(async () => (await redisSubscribers(channel, redisUrl)) > 0, 'the subscription to reach Redis');

      await stopRedis();
      await new Promise((r) => setTimeout(r, 1_000));
      for (const service of [stack.users, stack.catalog, stack.orders, stack.gateway]) expect(service.child.exitCode, service.name).toBeNull();
      const notReady = await fetch(new URL('/ready', stack.catalog.url));
      expect(notReady.status).toBe(503);

      await startRedis();
      await until(async () => (await fetch(new URL('/ready', stack.catalog.url))).status === 200, 'catalog ready again');
      await until(async () => (await redisSubscribers(channel, redisUrl)) > 0, 'the subscription to be restored on the new Redis');
      await ok('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 12345 }) { id } }', { id: productId }, adminToken);
      const events = await feed.waitFor(1);
      expect(events.at(-1)).toEqual({ productUpdated: { pricePaise: 12345 } });
      const catalogLog = stack.catalog.logs.join('\n');
      expect(catalogLog).toMatch(/"msg":"redis unavailable"/);
      expect(catalogLog).toMatch(/"msg":"redis back".*"downForMs":\d+/);
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
    const { placeOrder } = await ok('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', {
      input: { items: [{ productId, quantity: 1 }] },
    }, signUp.signUp.token);
    const client = wsClient(signUp.signUp.token, wsUrl(stack.gateway.url));
    const adminClient = wsClient(adminToken, wsUrl(stack.gateway.url));
    try {
      const orderFeed = collect(client, 'subscription($id: ID!) { orderStatusChanged(id: $id) { status user { name } } }', { id: placeOrder.id });
      const productFeed = collect(adminClient, 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', { id: productId });
      const productChannel = redisChannel(`product.updated.${productId}`);
      await until(async () => (await redisSubscribers(productChannel, redisUrl)) > 0, 'the product subscription');
      await until(async () => (await redisSubscribers(redisChannel(`order.status.${placeOrder.id}`), redisUrl)) > 0, 'the order subscription');

      const port = stack.catalog.port;
      await stack.catalog.stop();
      // The order subscription lives on: orders and users are untouched.
      await ok('mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { id } }', { id: placeOrder.id }, adminToken);
      expect((await orderFeed.waitFor(1))[0]).toEqual({ orderStatusChanged: { status: 'CONFIRMED', user: { name: 'Restart Tester' } } });

      stack.catalog = await startService('catalog', { ...env, PORT: String(port) });
      await until(async () => (await redisSubscribers(productChannel, redisUrl)) > 0, 'the gateway to resubscribe to the restarted catalog');
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
    await until(async () => (await subscriptionStats(stack.gateway.url)).subscriptions >= 2, 'both subscriptions');
    await until(async () => (await redisSubscribers(redisChannel(`product.updated.${productId}`), redisUrl)) > 0, 'the subscription');
    await stack.gateway.stop();
    expect(stack.gateway.child.exitCode).toBe(0);
    await until(async () => closeCodes.length > 0, 'the socket to close', 5_000);
    expect(closeCodes[0]).toBe(1001);
    expect(feed.events).toEqual([]);
    // Completed by the server, not cut off when its grace period ran out.
    await until(async () => sseEnding !== null, 'the event stream to end', 5_000);
    expect(sseEnding).toBe('complete');
    // The gateway's streams were its last users of the upstream: the subgraph let go of Redis too.
    await until(async () => (await redisSubscribers(redisChannel(`product.updated.${productId}`), redisUrl)) === 0, 'the Redis subscription to go', 5_000);
    await client.dispose();
    sseClient.dispose();
  }, 30_000);
});
