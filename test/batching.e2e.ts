import type { CommandStartedEvent } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { graphqlData, postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { type RunningSubgraph } from '@supergraph/subgraph-kit';
import { loadUsersConfig, start as startUsers } from '../subgraphs/users/src/server.js';
import { loadCatalogConfig, start as startCatalog } from '../subgraphs/catalog/src/server.js';
import { loadOrdersConfig, start as startOrders } from '../subgraphs/orders/src/server.js';
import { loadGatewayConfig, start as startGateway, type RunningGateway } from '../gateway/src/server.js';
import { asGateway, gql } from './helpers.js';

// The subgraphs run in this process (real HTTP between them and a real gateway)
// so the test can listen to each one's MongoDB driver and count its commands.
const SILENT = { debug() {}, info() {}, warn() {}, error() {}, child: () => SILENT };

describe('DataLoader batching', () => {
  const subgraphs: RunningSubgraph[] = [];
  let gateway: RunningGateway;
  const commands: Record<string, string[]> = { users: [], catalog: [], orders: [] };
  let adminToken: string;

  beforeAll(async () => {
    const env = {
      NODE_ENV: 'test',
      PORT: '0',
      HOST: '127.0.0.1',
      MONGODB_URI: withDatabase(process.env.TEST_MONGODB_URI!, `batching_${Date.now()}`),
      REDIS_URL: process.env.REDIS_URL,
      // This run's own Redis prefix and budgets (npm test sets them), so no earlier run's counts apply.
      REDIS_PREFIX: process.env.REDIS_PREFIX,
      // Background rounds (the pending-order sweep, reservation settling) would add commands to the count.
      ORDER_SWEEP_INTERVAL_MS: '3600000',
      RESERVATION_SETTLE_INTERVAL_MS: '3600000',
      // What is counted is how the loaders batch database reads; products served from the catalog's
      // Redis cache would take some of them out of the count (test/entity-cache.e2e.ts covers the cache).
      CACHE: 'off',
      RATE_LIMIT_LOGINS_PER_IP: process.env.RATE_LIMIT_LOGINS_PER_IP,
      RATE_LIMIT_SIGNUPS_PER_IP: process.env.RATE_LIMIT_SIGNUPS_PER_IP,
      RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP: process.env.RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP,
      RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER: process.env.RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER,
      // In one process, so every key is at hand here (each service reads only the ones it needs).
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => /_(SIGNING_KEY|PUBLIC_KEYS)$/.test(name))),
      ADMIN_EMAIL: 'batch-admin@test.in',
      ADMIN_PASSWORD: 'batch-admin-password',
    };
    const mongo = { monitorCommands: true };
    const users = await startUsers(loadUsersConfig(env), { logger: SILENT, mongo });
    const catalog = await startCatalog(loadCatalogConfig(env), { logger: SILENT, mongo });
    const orders = await startOrders(loadOrdersConfig({ ...env, CATALOG_URL: catalog.url }), { logger: SILENT, mongo });
    subgraphs.push(users, catalog, orders);
    for (const subgraph of subgraphs) {
      subgraph.deps.connection.getClient().on('commandStarted', (event: CommandStartedEvent) => {
        const target = String(event.command[event.commandName]);
        // The outbox relay polls on its own schedule; its reads are not the request's.
        if (target === 'outbox') return;
        commands[subgraph.name].push(`${event.commandName} ${target}`);
      });
    }
    gateway = await startGateway(loadGatewayConfig({ ...env, USERS_URL: users.url, CATALOG_URL: catalog.url, ORDERS_URL: orders.url }), {
      logger: SILENT,
    });

    const ok = (query: string, variables: Record<string, unknown>, token?: string) => graphqlData(gateway.url, query, variables, { token });
    adminToken = (await ok('mutation { logIn(email: "batch-admin@test.in", password: "batch-admin-password") { token } }', {})).logIn.token;
    const productIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const input = { sku: `BATCH-${i}`, name: `Batch Product ${i}`, category: 'Batch', pricePaise: 1000 + i, stock: 1000 };
      productIds.push(
        (await ok('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken)).createProduct.id,
      );
    }
    // 40 customers with two orders each, every order naming two products; eight customers at a time
    // (the setup, not what is measured, and one at a time it took most of a minute).
    const customer = async (i: number) => {
      const input = { name: `Customer ${i}`, email: `batch-${i}@test.in`, password: 'batch-password-1' };
      const token = (await ok('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', { input })).signUp.token;
      for (let n = 0; n < 2; n++) {
        const items = [
          { productId: productIds[(i + n) % 6], quantity: 1 },
          { productId: productIds[(i + n + 3) % 6], quantity: 1 },
        ];
        await ok('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items } }, token);
      }
    };
    for (let first = 0; first < 40; first += 8) await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map((k) => customer(first + k)));
  }, 180_000);

  afterAll(async () => {
    await gateway?.stop();
    await Promise.all(subgraphs.map((s) => s.stop()));
  });

  const NESTED = `query($n: Int) {
    users(first: $n) { edges { node { name
      orders(first: 5) { totalCount edges { node { totalPaise
        user { name email }
        items { quantity product { name pricePaise } }
      } } }
    } } }
  }`;

  async function countCommands(n: number) {
    for (const list of Object.values(commands)) list.length = 0;
    const result = await gql(NESTED, { n }, adminToken, gateway.url);
    expect(result.errors).toBeUndefined();
    const edges = result.data.users.edges;
    expect(edges).toHaveLength(n);
    const orderCount = edges.reduce((sum: number, e: any) => sum + e.node.orders.edges.length, 0);
    const productNames = edges.flatMap((e: any) => e.node.orders.edges.flatMap((o: any) => o.node.items.map((i: any) => i.product.name)));
    expect(productNames.every((name: string) => name.startsWith('Batch Product'))).toBe(true);
    return { orderCount, users: [...commands.users], catalog: [...commands.catalog], orders: [...commands.orders] };
  }

  it('costs the same number of database commands per subgraph for 5 users as for 40', async () => {
    const small = await countCommands(5);
    const large = await countCommands(40);
    // The first user is the admin (no orders); the rest have two each.
    expect(small.orderCount).toBe(8);
    expect(large.orderCount).toBe(78);
    for (const name of ['users', 'catalog', 'orders'] as const) {
      expect(large[name].length, `${name}: ${large[name].join(', ')}`).toBe(small[name].length);
    }
    // One $in per entity type: products once, the users' orders in one find plus one count.
    expect(large.catalog).toEqual(['find products']);
    expect(large.orders.filter((c) => c.startsWith('find')).length).toBe(1);
    expect(large.users.filter((c) => c === 'find users').length).toBeLessThanOrEqual(2);
    // Each of those answers in one round trip: a cursor left open costs a getMore (or a killCursors)
    // per batch, which is how a page of 100 orders once cost more commands than a page of 10.
    const followUps = [...large.users, ...large.catalog, ...large.orders].filter((c) => /^(getMore|killCursors) /.test(c));
    expect(followUps).toEqual([]);
    console.log(
      `database commands for 40 users / 78 orders: ${JSON.stringify({ users: large.users, catalog: large.catalog, orders: large.orders })}`,
    );
  });

  it('reads a batch of more than 101 products in one command', async () => {
    // MongoDB answers at most 101 documents before the driver has to ask for more; a page of 100
    // orders names more products than that. Written straight into the catalog's collection: what is
    // measured is the read.
    const catalog = subgraphs.find((s) => s.name === 'catalog')!;
    const docs = Array.from({ length: 130 }, (_, i) => ({
      _id: new Types.ObjectId(),
      sku: `BIG-BATCH-${i}`,
      name: `Big batch ${i}`,
      description: '',
      category: 'BigBatch',
      pricePaise: 100 + i,
      stock: 1,
      version: 0,
      createdAt: new Date(),
      updatedAt: new Date(),
    }));
    await catalog.deps.connection.collection('products').insertMany(docs);
    commands.catalog.length = 0;
    const representations = docs.map((d) => ({ __typename: 'Product', id: d._id.toHexString() }));
    const result = await postGraphQL(
      catalog.url,
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id name } } }',
      { r: representations },
      { headers: await asGateway('catalog') },
    );
    expect(result.errors).toBeUndefined();
    expect(result.data._entities.map((p: any) => p.name)).toEqual(docs.map((d) => d.name));
    expect(commands.catalog).toEqual(['find products']);
  });
});
