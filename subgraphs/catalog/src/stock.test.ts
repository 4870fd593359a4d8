import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { Types, type Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { channels, connectMongo, createInMemoryEventBus, type EventBus } from '@supergraph/subgraph-kit';
import { registerProductModel, type ProductModel } from './model.js';
import { releaseStock, reserveStock } from './stock.js';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

const logger = createLogger('test', 'silent');
let connection: Connection;
let products: ProductModel;
let events: EventBus;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('catalog_stock'), logger);
  products = registerProductModel(connection);
  await products.syncIndexes();
  events = createInMemoryEventBus('unit-stock', logger);
});

afterAll(async () => {
  await events?.dispose();
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

async function product(stock: number, pricePaise = 49900, name = 'Brass Diya') {
  const created = await products.create({
    sku: `SKU-${randomBytes(4).toString('hex')}`.toUpperCase(),
    name,
    category: 'Festive',
    pricePaise,
    stock,
  });
  return String(created._id);
}

const stockOf = async (id: string) => (await products.findById(id, { stock: 1 }).lean())!.stock;

/** Collects product.updated events for a product until read. */
function watch(productId: string) {
  // Events carry the product as stored; keep the fields the tests compare.
  const received: { id: string; stock: number; pricePaise: number }[] = [];
  const iterator = events.subscribe<{ _id: unknown; stock: number; pricePaise: number }>(channels.productUpdated(productId));
  const pump = (async () => {
    for await (const event of { [Symbol.asyncIterator]: () => iterator }) {
      received.push({ id: String(event._id), stock: event.stock, pricePaise: event.pricePaise });
    }
  })();
  const MARKER = 'end-of-events';
  return {
    received,
    /**
     * Waits until every event published so far has arrived: the bus delivers in order, so once a
     * marker published now is received, nothing earlier is still on its way. Then stops watching.
     */
    async drainAndStop() {
      await events.publish(channels.productUpdated(productId), { _id: MARKER, stock: -1, pricePaise: -1 });
      await vi.waitFor(() => expect(received.at(-1)?.id).toBe(MARKER), { timeout: 2_000, interval: 5 });
      received.pop();
      await iterator.return?.();
      await pump;
    },
  };
}

describe('reserveStock', () => {
  it('takes stock for every line and returns each line with its unit price', async () => {
    const a = await product(10, 49900);
    const b = await product(3, 129900);
    const reserved = await reserveStock(products, events, logger, 'order-1', [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 3 },
    ]);
    expect(reserved).toEqual([
      { productId: a, quantity: 4, unitPricePaise: 49900 },
      { productId: b, quantity: 3, unitPricePaise: 129900 },
    ]);
    expect(await stockOf(a)).toBe(6);
    expect(await stockOf(b)).toBe(0);
  });

  it('takes nothing when a later line is out of stock', async () => {
    const first = await product(5);
    const second = await product(1, 999, 'Clay Lamp');
    const error = await rejectedGraphQLError(
      reserveStock(products, events, logger, 'order-2', [
        { productId: first, quantity: 2 },
        { productId: second, quantity: 3 },
      ]),
    );
    expect(error.extensions).toEqual({ code: 'OUT_OF_STOCK', productId: second, available: 1 });
    expect(error.message).toContain('Clay Lamp');
    expect(error.message).toContain('3');
    expect(await stockOf(first)).toBe(5);
    expect(await stockOf(second)).toBe(1);
  });

  it('takes nothing when a later product does not exist', async () => {
    const first = await product(5);
    const missing = String(new Types.ObjectId());
    const error = await rejectedGraphQLError(
      reserveStock(products, events, logger, 'order-3', [
        { productId: first, quantity: 5 },
        { productId: missing, quantity: 1 },
      ]),
    );
    expect(error.extensions.code).toBe('NOT_FOUND');
    expect(error.message).toContain(missing);
    expect(await stockOf(first)).toBe(5);
  });

  it('refuses a malformed product id naming productId', async () => {
    const first = await product(2);
    const error = await rejectedGraphQLError(
      reserveStock(products, events, logger, 'order-4', [
        { productId: first, quantity: 1 },
        { productId: 'nope', quantity: 1 },
      ]),
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'productId' });
    expect(await stockOf(first)).toBe(2);
  });

  it('may take the last unit but never more', async () => {
    const id = await product(2);
    await reserveStock(products, events, logger, 'o', [{ productId: id, quantity: 2 }]);
    expect(await stockOf(id)).toBe(0);
    const error = await rejectedGraphQLError(reserveStock(products, events, logger, 'o', [{ productId: id, quantity: 1 }]));
    expect(error.extensions).toMatchObject({ code: 'OUT_OF_STOCK', available: 0 });
    expect(await stockOf(id)).toBe(0);
  });

  it('gives exactly 5 of 20 concurrent buyers the 5 units in stock', async () => {
    const id = await product(5);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => reserveStock(products, events, logger, `race-${i}`, [{ productId: id, quantity: 1 }])),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(won).toHaveLength(5);
    expect(lost).toHaveLength(15);
    for (const r of lost) expect((r.reason as GraphQLError).extensions?.code).toBe('OUT_OF_STOCK');
    expect(await stockOf(id)).toBe(0);
  });

  it('keeps the all-or-nothing total under concurrency', async () => {
    // Each order wants one of A and two of B; B limits it to 3 orders.
    const a = await product(10);
    const b = await product(6);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        reserveStock(products, events, logger, `combo-${i}`, [
          { productId: a, quantity: 1 },
          { productId: b, quantity: 2 },
        ]),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled').length;
    expect(won).toBe(3);
    expect(await stockOf(b)).toBe(0);
    expect(await stockOf(a)).toBe(10 - won);
  });

  it('publishes the new stock of each product it took from, and nothing when it took nothing', async () => {
    const id = await product(4);
    const watcher = watch(id);
    await reserveStock(products, events, logger, 'evt', [{ productId: id, quantity: 3 }]);
    await rejectedGraphQLError(reserveStock(products, events, logger, 'evt-2', [{ productId: id, quantity: 3 }]));
    await watcher.drainAndStop();
    expect(watcher.received).toEqual([expect.objectContaining({ id, stock: 1, pricePaise: 49900 })]);
  });
});

describe('releaseStock', () => {
  it('gives units back and publishes the new stock', async () => {
    const a = await product(1);
    const b = await product(0);
    const watcher = watch(b);
    await releaseStock(products, events, logger, 'cancel-1', [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 5 },
    ]);
    await watcher.drainAndStop();
    expect(await stockOf(a)).toBe(3);
    expect(await stockOf(b)).toBe(5);
    expect(watcher.received).toEqual([expect.objectContaining({ id: b, stock: 5 })]);
  });

  it('undoes a reservation exactly', async () => {
    const a = await product(7);
    const lines = [{ productId: a, quantity: 4 }];
    await reserveStock(products, events, logger, 'undo', lines);
    await releaseStock(products, events, logger, 'undo', lines);
    expect(await stockOf(a)).toBe(7);
  });

  it('returns every line it can, logs the ones it cannot, then fails naming how many', async () => {
    const good = await product(3);
    const lines: string[] = [];
    const logger = createLogger('test', 'error', (line) => lines.push(line));
    const failure = releaseStock(products, events, logger, 'order-x', [
      { productId: 'bad-id', quantity: 2 },
      { productId: good, quantity: 4 },
    ]);
    await expect(failure).rejects.toThrow('could not return stock for 1 of 2 line(s) of order order-x');
    // The line after the failing one was still returned.
    expect(await stockOf(good)).toBe(7);
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ msg: 'stock release failed', orderId: 'order-x', productId: 'bad-id', quantity: 2 }),
    ]);
  });
});
