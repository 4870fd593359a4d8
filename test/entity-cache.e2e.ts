import { randomBytes } from 'node:crypto';
import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlData, postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { startService, startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { asGateway, logInToken } from './helpers.js';

// The catalog's Redis cache is shared by every instance and dropped by writes through any of them.
// A full stack (its catalog is instance A, behind the gateway) plus a second catalog process, B,
// on the same database and Redis. Reads go to B directly (as the gateway would send them); writes go
// through the gateway, so through A. Right after each write B must answer with the new state, and
// B's /health and /metrics show that its reads were cache hits that never reached the database.

let stack: Awaited<ReturnType<typeof startStack>>;
let catalogB: Awaited<ReturnType<typeof startService>>;
let admin: string;
let customer: string;
let mongodbUri: string;

const PRODUCT = 'query($id: ID!) { product(id: $id) { id name pricePaise stock } }';
const LISTING = 'query($category: String!) { products(first: 10, category: $category) { totalCount edges { node { id name stock } } } }';

beforeAll(async () => {
  const credentials = { email: 'cache-admin@test.in', password: randomBytes(12).toString('base64url') };
  const env = {
    NODE_ENV: 'test',
    MONGODB_URI: (mongodbUri = withDatabase(process.env.TEST_MONGODB_URI!, `cache_${Date.now()}`)),
    // Keys of its own, so nothing cached by the shared stack (another database) can answer here.
    REDIS_PREFIX: `cache-e2e-${randomBytes(4).toString('hex')}`,
    ADMIN_EMAIL: credentials.email,
    ADMIN_PASSWORD: credentials.password,
    // Settling runs no rounds during the test (its writes would move the counts read below).
    RESERVATION_SETTLE_INTERVAL_MS: '3600000',
  };
  stack = await startStack(env);
  catalogB = await startService('catalog', { ...env, PORT: '0' });
  admin = await logInToken(credentials.email, credentials.password, stack.gateway.url);
  customer = (
    await graphqlData(stack.gateway.url, 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
      i: { name: 'Cache Customer', email: `cache-${Date.now()}@test.in`, password: 'cache-pass-1' },
    })
  ).signUp.token as string;
}, 120_000);

afterAll(async () => {
  await catalogB?.stop();
  await stack?.stop();
});

const viaGateway = (query: string, variables: Record<string, unknown>, token?: string) =>
  graphqlData(stack.gateway.url, query, variables, { token });

/** A query sent straight to catalog instance B, carrying the gateway's credential as the gateway would. */
async function onB(query: string, variables: Record<string, unknown>) {
  const result = await postGraphQL(catalogB.url, query, variables, { headers: await asGateway('catalog') });
  expect(result.errors).toBeUndefined();
  return result.data;
}

interface CacheCounts {
  hits: number;
  negativeHits: number;
  misses: number;
  fills: number;
  invalidations: number;
  hitRate: number | null;
}
async function cacheHealth(url: string): Promise<{ enabled: boolean; product: CacheCounts; product_listing: CacheCounts }> {
  const body = (await (await fetch(url.replace('/graphql', '/health'))).json()) as { cache: never };
  return body.cache;
}

/**
 * MongoDB reads of the products collection B has sent (its /metrics, from driver command
 * monitoring): the command-duration histogram's counts for find and count on products. Read from
 * the text directly: right after start prom-client writes the event-loop lag as "Nan", which the
 * strict parser in prometheus-text.ts rejects.
 */
const productReadsOnB = async () => {
  const text = await (await fetch(catalogB.url.replace('/graphql', '/metrics'))).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('mongodb_command_duration_seconds_count{'))
    .filter((line) => /collection="products"/.test(line) && /command="(find|count)"/.test(line))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
};

async function createProduct(category: string, stock = 20) {
  const sku = `CACHE-${randomBytes(4).toString('hex')}`.toUpperCase();
  return (
    await viaGateway(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { sku, name: `Cached ${sku}`, category, pricePaise: 10_000, stock } },
      admin,
    )
  ).createProduct.id as string;
}

describe('the catalog cache, shared by two instances', () => {
  it('serves a repeated read from Redis without touching the database, and a price change through A at once on B', async () => {
    const id = await createProduct('Cache-Price');
    expect((await onB(PRODUCT, { id })).product.pricePaise).toBe(10_000); // a miss: B fills the cache
    const before = { health: await cacheHealth(catalogB.url), reads: await productReadsOnB() };
    expect((await onB(PRODUCT, { id })).product.pricePaise).toBe(10_000);
    const after = { health: await cacheHealth(catalogB.url), reads: await productReadsOnB() };
    expect(after.health.product.hits - before.health.product.hits).toBe(1);
    expect(after.health.product.misses - before.health.product.misses).toBe(0);
    expect(after.reads - before.reads).toBe(0);

    const invalidationsOnA = (await cacheHealth(stack.catalog.url)).product.invalidations;
    await viaGateway('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 12345 }) { id } }', { id }, admin);
    expect((await cacheHealth(stack.catalog.url)).product.invalidations - invalidationsOnA).toBe(1);
    expect((await onB(PRODUCT, { id })).product.pricePaise).toBe(12_345);
  });

  it('shows stock taken by an order and added by a restock on B at once', async () => {
    const id = await createProduct('Cache-Stock', 20);
    expect((await onB(PRODUCT, { id })).product.stock).toBe(20);
    expect((await onB(PRODUCT, { id })).product.stock).toBe(20); // now cached on B
    await viaGateway(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: id, quantity: 3 }] } },
      customer,
    );
    expect((await onB(PRODUCT, { id })).product.stock).toBe(17);
    expect((await onB(PRODUCT, { id })).product.stock).toBe(17);
    await viaGateway('mutation($id: ID!) { restock(id: $id, quantity: 5) { id } }', { id }, admin);
    expect((await onB(PRODUCT, { id })).product.stock).toBe(22);
  });

  it('caches listings, and a new product or a stock change shows in them on B at once', async () => {
    const category = `Cache-List-${randomBytes(3).toString('hex')}`;
    const first = await createProduct(category, 10);
    expect((await onB(LISTING, { category })).products.totalCount).toBe(1);
    const before = { health: await cacheHealth(catalogB.url), reads: await productReadsOnB() };
    expect((await onB(LISTING, { category })).products.totalCount).toBe(1);
    const after = { health: await cacheHealth(catalogB.url), reads: await productReadsOnB() };
    expect(after.health.product_listing.hits - before.health.product_listing.hits).toBe(1);
    expect(after.reads - before.reads).toBe(0);

    const second = await createProduct(category, 10);
    const listed = (await onB(LISTING, { category })).products;
    expect(listed.totalCount).toBe(2);
    expect(listed.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([first, second]);

    await viaGateway(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: second, quantity: 4 }] } },
      customer,
    );
    const stocks = (await onB(LISTING, { category })).products.edges.map((e: { node: { stock: number } }) => e.node.stock);
    expect(stocks).toEqual([10, 6]);
  });

  it('remembers a missing id without asking the database again, and forgets it when that id is written', async () => {
    const id = new ObjectId().toHexString();
    expect((await onB(PRODUCT, { id })).product).toBeNull();
    const before = { health: await cacheHealth(catalogB.url), reads: await productReadsOnB() };
    expect((await onB(PRODUCT, { id })).product).toBeNull();
    const after = { health: await cacheHealth(catalogB.url), reads: await productReadsOnB() };
    expect(after.health.product.negativeHits - before.health.product.negativeHits).toBe(1);
    expect(after.reads - before.reads).toBe(0);

    // The product appears under that id (written straight to the database, as an import would: the
    // API's create picks its own ids), and the first write through the catalog (a restock through A)
    // makes it visible on B at once.
    const mongo = await MongoClient.connect(mongodbUri);
    try {
      const now = new Date();
      await mongo
        .db()
        .collection('products')
        .insertOne({
          _id: new ObjectId(id),
          sku: `CACHE-NEG-${id}`.toUpperCase(),
          name: 'Late Arrival',
          description: null,
          category: 'Cache-Neg',
          pricePaise: 500,
          stock: 1,
          ledger: [],
          version: 1,
          createdAt: now,
          updatedAt: now,
        });
    } finally {
      await mongo.close();
    }
    await viaGateway('mutation($id: ID!) { restock(id: $id, quantity: 2) { id } }', { id }, admin);
    expect((await onB(PRODUCT, { id })).product).toMatchObject({ id, name: 'Late Arrival', stock: 3 });
    console.log(`catalog B cache after the run: ${JSON.stringify(await cacheHealth(catalogB.url))}`);
  });
});
