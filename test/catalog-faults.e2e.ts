import { ObjectId } from 'mongodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type Fault } from './fault-proxy.js';
import { checkout, customers, FaultStack } from './order-faults.js';

// A fault-injecting proxy between the orders service and the catalog: replies that come after the
// orders service gave up (its timeout is 1 s here), replies lost after the catalog did the work,
// connections reset, requests that arrive late. Whatever happens, stock stays exact once the
// sweeper has run, and a retried cancel never returns stock twice.

const DELAY_MS = 1_500;
const STOCK = 20;

const proxy = await startFaultProxy(DELAY_MS);
// The orders service gives a catalog call up after 1 s, so a reply held back 1.5 s comes too late.
const stack = new FaultStack(
  (catalogUrl) => {
    proxy.setTarget(catalogUrl);
    return proxy.url;
  },
  { ORDERS_CATALOG_TIMEOUT_MS: '1000' },
);
let tokens: string[];

beforeAll(async () => {
  await stack.start();
  tokens = await customers(3);
}, 120_000);

afterAll(async () => {
  await stack.stop();
  await proxy.close();
});

beforeEach(() => proxy.setRule(() => 'pass'));

const faultFirst =
  (operation: string, fault: Fault, times: number) =>
  (op: string, n: number): Fault =>
    op === operation && n <= times ? fault : 'pass';
const calls = (operation: string) => proxy.seen.filter((s) => s.operation === operation).length;
const stockOf = async (id: string) =>
  (await stack.mongo
    .db()
    .collection('products')
    .findOne({ _id: new ObjectId(id) }))!.stock;

describe.each(['delay', 'drop', 'reset'] as const)('reservation replies that are %s', (fault) => {
  it('twice, then answered: the order is placed with its stock taken once', async () => {
    const [product] = await stack.products(1, STOCK);
    proxy.setRule(faultFirst('ReserveStock', fault, 2));
    const before = calls('ReserveStock');
    const outcome = await checkout(stack, tokens[0], [{ productId: product, quantity: 3 }]);
    expect(outcome.orderId).toBeDefined();
    expect(outcome.attempts).toBe(1); // the orders service retried; the client did not have to
    expect(calls('ReserveStock') - before).toBe(3);
    expect(await stockOf(product)).toBe(STOCK - 3);
    await stack.waitUntilSettled();
    await stack.expectStockExact([product], STOCK);
  });

  it('every time: the client is told SERVICE_UNAVAILABLE in bounded time and nothing stays held', async () => {
    const [product] = await stack.products(1, STOCK);
    proxy.setRule((op) => (op === 'ReserveStock' ? fault : 'pass'));
    const started = Date.now();
    const result = await stack.call(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: product, quantity: 2 }] } },
      tokens[1],
    );
    // 3 attempts of at most 1 s with backoff, then one release: well inside 10 s.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(result.errors?.[0]?.message).toMatch(/nothing was charged or held/);
    // A delayed reply may still be on its way; once it lands and the sweeper has run, all is back.
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    await stack.waitUntilSettled();
    expect(await stockOf(product)).toBe(STOCK);
    await stack.expectStockExact([product], STOCK);
  });
});

describe('a reservation request that arrives after the orders service released it', () => {
  it('takes nothing: the release left a record that makes the late reserve a no-op', async () => {
    const [product] = await stack.products(1, STOCK);
    proxy.setRule((op) => (op === 'ReserveStock' ? 'late' : 'pass'));
    const result = await stack.call(
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: [{ productId: product, quantity: 5 }] } },
      tokens[2],
    );
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    // Let every late request reach the catalog, then look.
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS + 500));
    await stack.waitUntilSettled();
    expect(await stockOf(product)).toBe(STOCK);
    const record = await stack.mongo.db().collection('reservations').find({ state: 'RELEASED', releasedFrom: 'NONE' }).toArray();
    expect(record.length).toBeGreaterThan(0);
  });
});

describe.each(['delay', 'drop', 'reset'] as const)('release replies that are %s', (fault) => {
  it('a cancel retried after them returns the stock exactly once', async () => {
    const [product] = await stack.products(1, STOCK);
    const placed = await checkout(stack, tokens[0], [{ productId: product, quantity: 4 }]);
    expect(await stockOf(product)).toBe(STOCK - 4);
    // Every release attempt of the first cancel is broken (3 tries), so that cancel fails.
    proxy.setRule(faultFirst('ReleaseStock', fault, 3));
    const first = await stack.call('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: placed.orderId }, tokens[0]);
    expect(first.errors?.length).toBeGreaterThan(0);
    const retried = await stack.call('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: placed.orderId }, tokens[0]);
    // Either this retry finishes the return, or the sweeper already did and it is told the order is CANCELLED.
    if (retried.errors)
      expect(retried.errors[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/is CANCELLED/) });
    else expect(retried.data.cancelOrder.status).toBe('CANCELLED');
    // And once more: the order is cancelled, nothing more is returned.
    const again = await stack.call('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: placed.orderId }, tokens[0]);
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    await new Promise((resolve) => setTimeout(resolve, DELAY_MS));
    expect(await stockOf(product)).toBe(STOCK);
    await stack.waitUntilSettled();
    await stack.expectStockExact([product], STOCK);
  });
});

describe('a cancellation nobody retries', () => {
  it('is finished by the sweeper once the catalog answers again', async () => {
    const [product] = await stack.products(1, STOCK);
    const placed = await checkout(stack, tokens[1], [{ productId: product, quantity: 6 }]);
    proxy.setRule((op) => (op === 'ReleaseStock' ? 'reset' : 'pass'));
    const cancel = await stack.call('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: placed.orderId }, tokens[1]);
    expect(cancel.errors?.length).toBeGreaterThan(0);
    expect(await stockOf(product)).toBe(STOCK - 6);
    proxy.setRule(() => 'pass');
    await stack.waitUntilSettled();
    expect(await stockOf(product)).toBe(STOCK);
    await stack.expectStockExact([product], STOCK);
  });
});
