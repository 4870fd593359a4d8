import { beforeAll, describe, expect, it } from 'vitest';
import { adminToken, createProduct, errorCodes, gql, gqlOk, PLACE_ORDER, productStock, signUpCustomer } from './helpers.js';

let admin: string;
beforeAll(async () => {
  admin = await adminToken();
});

describe('no oversell under concurrency', () => {
  it('50 parallel orders for 10 units: exactly 10 succeed and stock ends at 0', async () => {
    const product = await createProduct(admin, { stock: 10, pricePaise: 99900 });
    const customers = await Promise.all(Array.from({ length: 10 }, () => signUpCustomer()));
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        gql(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customers[i % customers.length].token),
      ),
    );
    const succeeded = results.filter((r) => r.data?.placeOrder);
    const failed = results.filter((r) => !r.data?.placeOrder);
    expect(succeeded).toHaveLength(10);
    expect(failed.map(errorCodes).flat()).toEqual(Array(40).fill('OUT_OF_STOCK'));
    expect(await productStock(product.id)).toBe(0);
    expect(new Set(succeeded.map((r) => r.data.placeOrder.id)).size).toBe(10);
  });

  it('multi-line orders racing for two scarce products never leave stock negative or half-reserved', async () => {
    const a = await createProduct(admin, { stock: 6 });
    const b = await createProduct(admin, { stock: 4 });
    const customer = await signUpCustomer();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => {
        // Alternate line order so reservations contend in both directions.
        const items = [
          { productId: a.id, quantity: 1 },
          { productId: b.id, quantity: 1 },
        ];
        return gql(PLACE_ORDER, { input: { items: i % 2 ? items.reverse() : items } }, customer.token);
      }),
    );
    const placed = results.filter((r) => r.data?.placeOrder).length;
    expect(placed).toBe(4);
    expect(await productStock(b.id)).toBe(0);
    // Every successful order took exactly one unit of a; failures gave theirs back.
    expect(await productStock(a.id)).toBe(6 - placed);
  });
});

describe('idempotent retries', () => {
  it('a retried placeOrder with the same key returns the first order and reserves once', async () => {
    const product = await createProduct(admin, { stock: 10 });
    const customer = await signUpCustomer();
    const input = { items: [{ productId: product.id, quantity: 3 }], idempotencyKey: 'checkout-7f3a' };
    const first = await gqlOk(PLACE_ORDER, { input }, customer.token);
    const retry = await gqlOk(PLACE_ORDER, { input }, customer.token);
    expect(retry.placeOrder.id).toBe(first.placeOrder.id);
    expect(await productStock(product.id)).toBe(7);
  });

  it('ten simultaneous retries of one checkout create one order', async () => {
    const product = await createProduct(admin, { stock: 10 });
    const customer = await signUpCustomer();
    const input = { items: [{ productId: product.id, quantity: 2 }], idempotencyKey: 'flaky-network-retry' };
    const results = await Promise.all(Array.from({ length: 10 }, () => gql(PLACE_ORDER, { input }, customer.token)));
    for (const result of results) expect(result.errors).toBeUndefined();
    expect(new Set(results.map((r) => r.data.placeOrder.id)).size).toBe(1);
    expect(await productStock(product.id)).toBe(8);
    const me = await gqlOk('{ me { orders { totalCount } } }', {}, customer.token);
    expect(me.me.orders.totalCount).toBe(1);
  });

  it('the same key from another user is another order; a reused key with a different basket is a CONFLICT', async () => {
    const product = await createProduct(admin, { stock: 10 });
    const [alice, bob] = await Promise.all([signUpCustomer(), signUpCustomer()]);
    const input = { items: [{ productId: product.id, quantity: 1 }], idempotencyKey: 'same-key' };
    const a = await gqlOk(PLACE_ORDER, { input }, alice.token);
    const b = await gqlOk(PLACE_ORDER, { input }, bob.token);
    expect(a.placeOrder.id).not.toBe(b.placeOrder.id);
    const changed = await gql(PLACE_ORDER, { input: { ...input, items: [{ productId: product.id, quantity: 2 }] } }, alice.token);
    expect(errorCodes(changed)).toEqual(['CONFLICT']);
    expect(changed.errors![0].message).toMatch(/^idempotencyKey:/);
    expect(await productStock(product.id)).toBe(8);
  });

  it('a key whose first attempt failed for lack of stock can be retried once stock arrives', async () => {
    const product = await createProduct(admin, { stock: 1 });
    const customer = await signUpCustomer();
    const input = { items: [{ productId: product.id, quantity: 2 }], idempotencyKey: 'wait-for-restock' };
    expect(errorCodes(await gql(PLACE_ORDER, { input }, customer.token))).toEqual(['OUT_OF_STOCK']);
    await gqlOk('mutation($id: ID!) { restock(id: $id, quantity: 5) { stock } }', { id: product.id }, admin);
    const retry = await gqlOk(PLACE_ORDER, { input }, customer.token);
    expect(retry.placeOrder.status).toBe('PLACED');
    expect(await productStock(product.id)).toBe(4);
  });
});

describe('cancellation races', () => {
  it('many simultaneous cancels return the stock exactly once', async () => {
    const product = await createProduct(admin, { stock: 5 });
    const customer = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 3 }] } }, customer.token);
    expect(await productStock(product.id)).toBe(2);
    const results = await Promise.all(
      Array.from({ length: 8 }, () => gql('mutation($id: ID!) { cancelOrder(id: $id) { status } }', { id: placeOrder.id }, customer.token)),
    );
    const ok = results.filter((r) => r.data?.cancelOrder?.status === 'CANCELLED');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results.filter((r) => !r.data?.cancelOrder)) expect(errorCodes(r)).toEqual(['CONFLICT']);
    expect(await productStock(product.id)).toBe(5);
  });
});
