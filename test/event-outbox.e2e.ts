import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { logInToken } from './helpers.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postGraphQL, graphqlData } from '../scripts/lib/graphql-http.mjs';
import { startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { privateRedis, type PrivateRedis } from './private-redis.js';
import { collect, redisChannel, redisSubscribers, wsClient, wsUrl } from './ws-helpers.js';

// Events survive Redis going away: with a private redis-server stopped, customers place orders
// and admins change products and orders; every write completes at once, and once Redis is back
// every subscriber receives each missed event once, in order.

const POLL = { timeout: 20_000, interval: 100 };
/**
 * A write must answer within this while Redis is down. Without an outbox, a write waited for its
 * publish, which ioredis queued and retried for tens of seconds; 2 s is far above a write's normal
 * latency here and far below that.
 */
const WRITE_BOUND_MS = 2_000;

let redis: PrivateRedis;
let mongodbUri: string;
let stack: Awaited<ReturnType<typeof startStack>>;
let adminToken: string;

const ok = (query: string, variables: Record<string, unknown>, token?: string) =>
  graphqlData(stack.gateway.url, query, variables, { token });

/** Sends one write and fails if it does not answer, successfully, within WRITE_BOUND_MS. */
async function boundedWrite(what: string, query: string, variables: Record<string, unknown>, token: string) {
  const result = await Promise.race([
    postGraphQL(stack.gateway.url, query, variables, { token }),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} did not answer within ${WRITE_BOUND_MS} ms while Redis was down`)), WRITE_BOUND_MS),
    ),
  ]);
  expect(result.errors, what).toBeUndefined();
  return result.data;
}

beforeAll(async () => {
  redis = await privateRedis(POLL);
  await redis.start();
  const admin = { email: 'outbox-admin@test.in', password: randomBytes(12).toString('base64url') };
  mongodbUri = withDatabase(process.env.TEST_MONGODB_URI!, `outbox_${Date.now()}`);
  stack = await startStack({
    NODE_ENV: 'test',
    MONGODB_URI: mongodbUri,
    REDIS_URL: redis.url,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  adminToken = await logInToken(admin.email, admin.password, stack.gateway.url);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await redis?.stop();
});

describe('Redis stopped while customers order and admins write', () => {
  it('answers every write at once, and delivers each missed event once and in order when Redis is back', async () => {
    const sku = `OBX-${randomBytes(4).toString('hex')}`.toUpperCase();
    const productId = (
      await ok(
        'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { sku, name: 'Outbox Kettle', category: 'Test', pricePaise: 10_000, stock: 50 } },
        adminToken,
      )
    ).createProduct.id as string;
    const customer = (
      await ok('mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
        i: { name: 'Outbox Customer', email: `outbox-${Date.now()}@test.in`, password: 'outbox-pass-1' },
      })
    ).signUp.token as string;
    const placeOrder = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
    const first = (await ok(placeOrder, { input: { items: [{ productId, quantity: 1 }] } }, customer)).placeOrder.id as string;

    const adminClient = wsClient(adminToken, wsUrl(stack.gateway.url));
    const customerClient = wsClient(customer, wsUrl(stack.gateway.url));
    try {
      const productFeed = collect(adminClient, 'subscription($id: ID!) { productUpdated(id: $id) { stock pricePaise } }', {
        id: productId,
      });
      const orderFeed = collect(customerClient, 'subscription($id: ID!) { orderStatusChanged(id: $id) { status } }', { id: first });
      await expect.poll(() => redisSubscribers(redisChannel(`product.updated.${productId}`), redis.url), POLL).toBeGreaterThan(0);
      await expect.poll(() => redisSubscribers(redisChannel(`order.status.${first}`), redis.url), POLL).toBeGreaterThan(0);

      await redis.stop();

      // Writes while Redis is down: three orders take stock, an admin reprices the product and
      // moves the first order on twice. Each must succeed within the bound.
      for (let i = 0; i < 3; i++) {
        const placed = await boundedWrite(`placeOrder #${i + 1}`, placeOrder, { input: { items: [{ productId, quantity: 1 }] } }, customer);
        expect(placed.placeOrder.status).toBe('PLACED');
      }
      const repriced = await boundedWrite(
        'updateProduct',
        'mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 12500 }) { pricePaise } }',
        { id: productId },
        adminToken,
      );
      expect(repriced.updateProduct.pricePaise).toBe(12_500);
      for (const status of ['CONFIRMED', 'SHIPPED']) {
        const moved = await boundedWrite(
          `updateOrderStatus ${status}`,
          'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { status } }',
          { id: first, s: status },
          adminToken,
        );
        expect(moved.updateOrderStatus.status).toBe(status);
      }

      // The services stay ready: nothing they answer with needs Redis. /health says what is degraded.
      for (const service of [stack.catalog, stack.orders]) {
        expect((await fetch(new URL('/ready', service.url))).status, service.name).toBe(200);
        const health = (await (await fetch(new URL('/health', service.url))).json()) as { redis?: string };
        expect(health.redis, service.name).toMatch(/unreachable/);
      }
      // Nothing was delivered while Redis was away; the events wait in the services' outbox.
      expect(productFeed.events).toEqual([]);
      expect(orderFeed.events).toEqual([]);
      const mongo = await new MongoClient(mongodbUri).connect();
      const outbox = mongo.db().collection('outbox');
      try {
        const waiting = await outbox.find({ sentAt: null }).toArray();
        const versions = (channel: string) => waiting.filter((e) => e.channel === channel).map((e) => e.version as number);
        // Three reservations and the price change, then the two status moves, each with its version after the write.
        const productVersions = versions(`product.updated.${productId}`);
        expect(productVersions).toHaveLength(4);
        expect(productVersions).toEqual([...productVersions].sort((a, b) => a - b));
        expect(new Set(productVersions).size).toBe(4);
        expect(versions(`order.status.${first}`)).toHaveLength(2);
      } finally {
        await mongo.close();
      }

      await redis.start();

      // Every missed event, once, in the order the writes happened.
      const missedProductEvents = [
        { productUpdated: { stock: 48, pricePaise: 10_000 } },
        { productUpdated: { stock: 47, pricePaise: 10_000 } },
        { productUpdated: { stock: 46, pricePaise: 10_000 } },
        { productUpdated: { stock: 46, pricePaise: 12_500 } },
      ];
      const missedOrderEvents = [{ orderStatusChanged: { status: 'CONFIRMED' } }, { orderStatusChanged: { status: 'SHIPPED' } }];
      await productFeed.waitFor(missedProductEvents.length, 30_000);
      await orderFeed.waitFor(missedOrderEvents.length, 30_000);
      // One more write each after the outage: it arrives next, so no duplicate of a missed event came in between.
      await ok('mutation($id: ID!) { restock(id: $id, quantity: 4) { stock } }', { id: productId }, adminToken);
      await ok('mutation($id: ID!) { updateOrderStatus(id: $id, status: DELIVERED) { status } }', { id: first }, adminToken);
      await productFeed.waitFor(missedProductEvents.length + 1);
      await orderFeed.waitFor(missedOrderEvents.length + 1);
      expect(productFeed.events).toEqual([...missedProductEvents, { productUpdated: { stock: 50, pricePaise: 12_500 } }]);
      expect(orderFeed.events).toEqual([...missedOrderEvents, { orderStatusChanged: { status: 'DELIVERED' } }]);
      expect(productFeed.errors).toEqual([]);
      expect(orderFeed.errors).toEqual([]);
      // And the relay marked what it published as sent.
      const check = await new MongoClient(mongodbUri).connect();
      try {
        await expect.poll(() => check.db().collection('outbox').countDocuments({ sentAt: null }), POLL).toBe(0);
      } finally {
        await check.close();
      }
    } finally {
      await Promise.all([adminClient.dispose(), customerClient.dispose()]);
    }
  }, 90_000);
});
