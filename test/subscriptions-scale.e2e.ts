import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { Client } from 'graphql-ws';
import { startService } from '../scripts/lib/processes.mjs';
import { adminToken, createProduct, gqlOk, PLACE_ORDER, signUpCustomer } from './helpers.js';
import { collect, quiescent, redisChannel, redisSubscribers, settle, subscriptionStats, wsClient, wsUrl } from './ws-helpers.js';

let admin: string;
beforeAll(async () => {
  admin = await adminToken();
});

describe('many gateway instances', () => {
  let second: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    const urls = inject('subgraphUrls');
    second = await startService('gateway', {
      NODE_ENV: 'test',
      PORT: '0',
      USERS_URL: urls.users,
      CATALOG_URL: urls.catalog,
      ORDERS_URL: urls.orders,
    });
  });
  afterAll(() => second?.stop());

  it('an event caused through gateway A reaches a subscriber on gateway B', async () => {
    const product = await createProduct(admin, { stock: 5 });
    const customer = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token);
    const onB = wsClient(customer.token, wsUrl(second.url));
    try {
      const feed = collect(onB, 'subscription($id: ID!) { orderStatusChanged(id: $id) { status user { email } } }', { id: placeOrder.id });
      await settle(second.url, 1, [redisChannel(`order.status.${placeOrder.id}`)]);
      // The mutation goes through the first gateway (gqlOk talks to it).
      await gqlOk('mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { id } }', { id: placeOrder.id }, admin);
      const [event] = await feed.waitFor(1);
      expect(event.orderStatusChanged).toEqual({ status: 'CONFIRMED', user: { email: customer.email } });
    } finally {
      await onB.dispose();
    }
  });
});

describe('fan-out', () => {
  it('1,000 subscribers to one product each receive one price change, over one upstream stream', async () => {
    const product = await createProduct(admin, { name: 'Festive Diya Set', pricePaise: 34900, stock: 100 });
    const gateway = inject('gatewayUrl');
    const clients: Client[] = [];
    const received: number[] = [];
    const feeds: ReturnType<typeof collect>[] = [];
    // Start from a quiet gateway, so the sharing counts below are this test's alone.
    await quiescent(gateway);
    try {
      for (let batch = 0; batch < 10; batch++) {
        for (let i = 0; i < 100; i++) {
          const client = wsClient();
          clients.push(client);
          const feed = collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { pricePaise } }', { id: product.id });
          feeds.push(feed);
        }
        await settle(gateway, (batch + 1) * 100, [redisChannel(`product.updated.${product.id}`)], 30_000);
      }
      const stats = await subscriptionStats(gateway);
      expect(stats.subscriptions).toBeGreaterThanOrEqual(1000);
      // Identical anonymous subscriptions share one execution and one upstream stream.
      expect(stats.executions).toBe(1);
      expect(stats.upstreamStreams).toBe(1);

      const sentAt = performance.now();
      await gqlOk('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 29900 }) { id } }', { id: product.id }, admin);
      await Promise.all(
        feeds.map((feed) =>
          feed.waitFor(1, 30_000).then(() => {
            received.push(performance.now() - sentAt);
          }),
        ),
      );
      // Exactly one event each, not more: a second change is the marker, in place of a sleep. Each
      // socket delivers in order, so a duplicate of the first would arrive before the second.
      await gqlOk('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 31900 }) { id } }', { id: product.id }, admin);
      await Promise.all(feeds.map((feed) => feed.waitFor(2, 30_000)));
      for (const feed of feeds) {
        expect(feed.events).toEqual([{ productUpdated: { pricePaise: 29900 } }, { productUpdated: { pricePaise: 31900 } }]);
        expect(feed.errors).toEqual([]);
      }
      received.sort((a, b) => a - b);
      const p = (q: number) => received[Math.min(received.length - 1, Math.floor(q * received.length))].toFixed(1);
      console.log(
        `fan-out to ${received.length} subscribers, ms from mutation sent to event received: p50 ${p(0.5)}, p95 ${p(0.95)}, p99 ${p(0.99)}, max ${p(1)}`,
      );
      expect(received).toHaveLength(1000);
    } finally {
      await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
    }
  }, 180_000);
});

describe('lifecycle', () => {
  it('many connect/disconnect cycles leave no Redis subscriptions, upstream streams or sockets behind', async () => {
    const gateway = inject('gatewayUrl');
    const product = await createProduct(admin, { stock: 10 });
    const customer = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token);
    const productChannel = redisChannel(`product.updated.${product.id}`);
    const orderChannel = redisChannel(`order.status.${placeOrder.id}`);
    const before = await subscriptionStats(gateway);

    for (let cycle = 0; cycle < 10; cycle++) {
      const clients = Array.from({ length: 20 }, (_, i) => wsClient(i % 2 ? customer.token : undefined));
      const feeds = clients.map((client, i) =>
        i % 2
          ? collect(client, 'subscription($id: ID!) { orderStatusChanged(id: $id) { status user { name } } }', { id: placeOrder.id })
          : collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', { id: product.id }),
      );
      await settle(gateway, before.subscriptions + 20, [productChannel, orderChannel]);
      expect(await redisSubscribers(productChannel)).toBeGreaterThan(0);
      expect(await redisSubscribers(orderChannel)).toBeGreaterThan(0);
      // Half leave by unsubscribing, half by dropping the socket.
      feeds.forEach((feed, i) => i % 4 === 0 && feed.unsubscribe());
      await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
      // A client's close reaches the gateway a moment after dispose() returns; the next cycle's ten
      // sockets for the same customer would otherwise meet LIMIT_SOCKETS_PER_USER (10) and be refused.
      await expect.poll(async () => (await subscriptionStats(gateway)).clients, { timeout: 10_000, interval: 50 }).toBe(before.clients);
    }

    await expect
      .poll(() => subscriptionStats(gateway), { timeout: 10_000, interval: 100 })
      .toMatchObject({
        subscriptions: before.subscriptions,
        executions: before.executions,
        upstreamStreams: before.upstreamStreams,
        upstreamSockets: before.upstreamSockets,
        clients: before.clients,
      });
    // The subgraphs released their Redis subscriptions too.
    const released = async () => ({ product: await redisSubscribers(productChannel), order: await redisSubscribers(orderChannel) });
    await expect.poll(released, { timeout: 5_000, interval: 100 }).toEqual({ product: 0, order: 0 });
  }, 120_000);
});
