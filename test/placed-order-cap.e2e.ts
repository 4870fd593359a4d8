import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { adminToken, createProduct, errorCodes, gql, PLACE_ORDER, productStock, signUpCustomer, type GraphQLResult } from './helpers.js';

const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';
const UPDATE = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id status } }';
const MY_ORDERS = '{ me { orders(first: 50) { totalCount edges { node { id status } } } } }';

type Service = Awaited<ReturnType<typeof startService>>;

/** Asserts the cap's refusal: the code, the cap in `max`, and a message that says what to do. */
function expectRefused(result: GraphQLResult, max: number) {
  expect(result.data?.placeOrder ?? null).toBeNull();
  expect(errorCodes(result)).toEqual(['LIMIT_REACHED']);
  expect(result.errors![0].extensions).toMatchObject({ code: 'LIMIT_REACHED', max });
  expect(result.errors![0].message).toMatch(new RegExp(`^You already have ${max} orders placed and not yet shipped or cancelled`));
  expect(result.errors![0].message).toMatch(/cancel one of them or wait until one ships/);
}

describe('cap on open orders per customer (ORDERS_MAX_PLACED_PER_CUSTOMER=3: an orders subgraph and gateway of their own)', () => {
  const MAX = 3;
  let orders: Service;
  let gateway: Service;
  let admin: string;
  let mongo: MongoClient;

  beforeAll(async () => {
    admin = await adminToken();
    const { users, catalog } = inject('subgraphUrls');
    // The shared stack runs with the default cap of 20; this orders subgraph shares its database and catalog.
    orders = await startService('orders', {
      PORT: '0',
      NODE_ENV: 'test',
      MONGODB_URI: inject('mongodbUri'),
      CATALOG_URL: catalog,
      ORDERS_MAX_PLACED_PER_CUSTOMER: String(MAX),
    });
    gateway = await startService('gateway', {
      PORT: '0',
      NODE_ENV: 'test',
      USERS_URL: users,
      CATALOG_URL: catalog,
      ORDERS_URL: orders.url,
    });
    mongo = await new MongoClient(inject('mongodbUri')).connect();
  });

  afterAll(async () => {
    await gateway?.stop();
    await orders?.stop();
    await mongo?.close();
  });

  const call = (query: string, variables: Record<string, unknown>, token: string) => gql(query, variables, token, gateway.url);
  const place = (token: string, productId: string, quantity = 1) =>
    call(PLACE_ORDER, { input: { items: [{ productId, quantity }] } }, token);
  const placed = async (token: string, productId: string): Promise<string> => {
    const result = await place(token, productId);
    expect(result.errors).toBeUndefined();
    expect(result.data.placeOrder.status).toBe('PLACED');
    return result.data.placeOrder.id as string;
  };
  const myStatuses = async (token: string): Promise<string[]> =>
    (await call(MY_ORDERS, {}, token)).data.me.orders.edges.map((e: { node: { status: string } }) => e.node.status).sort();

  it('places 3, refuses the 4th with LIMIT_REACHED reserving nothing for it, and takes it once one is cancelled', async () => {
    const product = await createProduct(admin, { stock: 10 });
    const customer = await signUpCustomer();
    const ids = [];
    for (let i = 0; i < MAX; i++) ids.push(await placed(customer.token, product.id));
    expect(await productStock(product.id)).toBe(7);

    expectRefused(await place(customer.token, product.id), MAX);
    expect(await productStock(product.id)).toBe(7);
    expect(await myStatuses(customer.token)).toEqual(['PLACED', 'PLACED', 'PLACED']);

    expect((await call(CANCEL, { id: ids[0] }, customer.token)).data.cancelOrder.status).toBe('CANCELLED');
    expect(await productStock(product.id)).toBe(8);
    await placed(customer.token, product.id);
    expect(await productStock(product.id)).toBe(7);
    expectRefused(await place(customer.token, product.id), MAX);
  });

  it('counts CONFIRMED orders too; shipping or delivering one frees its slot', async () => {
    const product = await createProduct(admin, { stock: 10 });
    const customer = await signUpCustomer();
    const ids = [];
    for (let i = 0; i < MAX; i++) ids.push(await placed(customer.token, product.id));
    await call(UPDATE, { id: ids[0], s: 'CONFIRMED' }, admin);
    expectRefused(await place(customer.token, product.id), MAX);
    await call(UPDATE, { id: ids[0], s: 'SHIPPED' }, admin);
    await placed(customer.token, product.id);
    await call(UPDATE, { id: ids[1], s: 'DELIVERED' }, admin);
    await placed(customer.token, product.id);
    expectRefused(await place(customer.token, product.id), MAX);
    expect(await productStock(product.id)).toBe(10 - 5);
  });

  it('gives the slot back when the reservation fails', async () => {
    const plenty = await createProduct(admin, { stock: 10 });
    const scarce = await createProduct(admin, { stock: 1 });
    const customer = await signUpCustomer();
    for (let i = 0; i < MAX - 1; i++) await placed(customer.token, plenty.id);
    for (let i = 0; i < 3; i++) expect(errorCodes(await place(customer.token, scarce.id, 2))).toEqual(['OUT_OF_STOCK']);
    await placed(customer.token, scarce.id);
    expect(await productStock(scarce.id)).toBe(0);
    expectRefused(await place(customer.token, plenty.id), MAX);
  });

  it('applies to each customer on their own', async () => {
    const product = await createProduct(admin, { stock: 10 });
    const [busy, other] = [await signUpCustomer(), await signUpCustomer()];
    for (let i = 0; i < MAX; i++) await placed(busy.token, product.id);
    expectRefused(await place(busy.token, product.id), MAX);
    await placed(other.token, product.id);
  });

  it('8 placed at once: exactly 3 PLACED, 5 refused, and stock taken only for the 3', async () => {
    const product = await createProduct(admin, { stock: 20 });
    const customer = await signUpCustomer();
    const results = await Promise.all(Array.from({ length: 8 }, () => place(customer.token, product.id, 2)));
    const succeeded = results.filter((r) => r.data?.placeOrder);
    expect(succeeded).toHaveLength(MAX);
    for (const result of results.filter((r) => !r.data?.placeOrder)) expectRefused(result, MAX);
    expect(await productStock(product.id)).toBe(20 - 2 * MAX);
    expect(await myStatuses(customer.token)).toEqual(['PLACED', 'PLACED', 'PLACED']);

    // In the database: the refused ones are FAILED (kept for audit, none left PENDING), and the ledger names exactly the 3 placed.
    const db = mongo.db();
    const userId = new ObjectId(customer.user.id);
    expect(await db.collection('orders').countDocuments({ userId, status: { $ne: 'FAILED' } })).toBe(MAX);
    expect(await db.collection('orders').countDocuments({ userId, status: 'FAILED' })).toBe(8 - MAX);
    const ledger = await db.collection<{ _id: ObjectId; orders: ObjectId[] }>('order_slots').findOne({ _id: userId });
    expect(ledger?.orders.map(String).sort()).toEqual(succeeded.map((r) => r.data.placeOrder.id as string).sort());
  });

  it('8 at once again after two are cancelled: exactly 2 more get in', async () => {
    const product = await createProduct(admin, { stock: 20 });
    const customer = await signUpCustomer();
    const ids = [];
    for (let i = 0; i < MAX; i++) ids.push(await placed(customer.token, product.id));
    await Promise.all(ids.slice(0, 2).map((id) => call(CANCEL, { id }, customer.token)));
    const results = await Promise.all(Array.from({ length: 8 }, () => place(customer.token, product.id)));
    expect(results.filter((r) => r.data?.placeOrder)).toHaveLength(2);
    for (const result of results.filter((r) => !r.data?.placeOrder)) expectRefused(result, MAX);
    expect(await productStock(product.id)).toBe(20 - MAX);
    expect(await myStatuses(customer.token)).toEqual(['CANCELLED', 'CANCELLED', 'PLACED', 'PLACED', 'PLACED']);
  });
});

describe('cap on open orders with the default of 20 (the shared stack)', () => {
  it('refuses the 21st open order through the gateway, with max 20', async () => {
    const admin = await adminToken();
    const product = await createProduct(admin, { stock: 30 });
    const customer = await signUpCustomer();
    const place = () => gql(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token);
    for (let i = 0; i < 20; i++) expect((await place()).errors, `order ${i + 1}`).toBeUndefined();
    expectRefused(await place(), 20);
    expect(await productStock(product.id)).toBe(10);
  });
});
