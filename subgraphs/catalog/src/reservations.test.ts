import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError } from 'graphql';
import { Types, type Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { channels, connectMongo, createInMemoryEventBus, type EventBus } from '@supergraph/subgraph-kit';
import { registerProductModel, type ProductModel } from './model.js';
import { registerReservationModel, type ReservationModel } from './reservation-model.js';
import { Reservations } from './reservations.js';
import { takeLine } from './stock-ledger.js';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

const logger = createLogger('test', 'silent');
let connection: Connection;
let products: ProductModel;
let events: EventBus;
let records: ReservationModel;
let reservations: Reservations;
const TIMINGS = { leaseMs: 2_000, leaseWaitMs: 300, settleAfterMs: 0 };

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('catalog_stock'), logger);
  products = registerProductModel(connection);
  records = registerReservationModel(connection);
  await products.syncIndexes();
  await records.syncIndexes();
  events = createInMemoryEventBus('unit-stock', logger);
  reservations = new Reservations(products, records, events, logger, TIMINGS);
});

/** A fresh order id: reservations are per order. */
const newOrder = () => String(new Types.ObjectId());
const reserveStock = (orderId: string, lines: { productId: string; quantity: number }[]) => reservations.reserve(orderId, lines);
/** Runs settling rounds until nothing is left to do (settleAfterMs is 0 here, so each round may follow at once). */
async function settleEverything() {
  do await sleep(5);
  while ((await reservations.settle()) > 0);
}
const ledgerOf = async (id: string) => (await products.findById(id, { ledger: 1 }).lean())!.ledger;

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
  it('takes stock for every line and returns each line with its unit price, name and GST rate', async () => {
    const a = await product(10, 49900);
    const b = await product(3, 129900, 'Silk Saree');
    await products.updateOne({ _id: b }, { $set: { gstRatePercent: 5 } });
    const reserved = await reserveStock(newOrder(), [
      { productId: a, quantity: 4 },
      { productId: b, quantity: 3 },
    ]);
    expect(reserved).toEqual([
      { productId: a, quantity: 4, unitPricePaise: 49900, name: 'Brass Diya', gstRatePercent: 18 },
      { productId: b, quantity: 3, unitPricePaise: 129900, name: 'Silk Saree', gstRatePercent: 5 },
    ]);
    expect(await stockOf(a)).toBe(6);
    expect(await stockOf(b)).toBe(0);
  });

  it('takes nothing when a later line is out of stock', async () => {
    const first = await product(5);
    const second = await product(1, 999, 'Clay Lamp');
    const error = await rejectedGraphQLError(
      reserveStock(newOrder(), [
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
      reserveStock(newOrder(), [
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
      reserveStock(newOrder(), [
        { productId: first, quantity: 1 },
        { productId: 'nope', quantity: 1 },
      ]),
    );
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'productId' });
    expect(await stockOf(first)).toBe(2);
  });

  it('may take the last unit but never more', async () => {
    const id = await product(2);
    await reserveStock(newOrder(), [{ productId: id, quantity: 2 }]);
    expect(await stockOf(id)).toBe(0);
    const error = await rejectedGraphQLError(reserveStock(newOrder(), [{ productId: id, quantity: 1 }]));
    expect(error.extensions).toMatchObject({ code: 'OUT_OF_STOCK', available: 0 });
    expect(await stockOf(id)).toBe(0);
  });

  it('gives exactly 5 of 20 concurrent buyers the 5 units in stock', async () => {
    const id = await product(5);
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => reserveStock(newOrder(), [{ productId: id, quantity: 1 }])));
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
      Array.from({ length: 8 }, () =>
        reserveStock(newOrder(), [
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
    await reserveStock(newOrder(), [{ productId: id, quantity: 3 }]);
    await rejectedGraphQLError(reserveStock(newOrder(), [{ productId: id, quantity: 3 }]));
    await watcher.drainAndStop();
    expect(watcher.received).toEqual([expect.objectContaining({ id, stock: 1, pricePaise: 49900 })]);
  });
});

describe('a retried reserve', () => {
  it('returns the first outcome and takes nothing twice, even when the price, name or rate changed in between', async () => {
    const a = await product(10, 50000);
    const order = newOrder();
    const first = await reserveStock(order, [{ productId: a, quantity: 4 }]);
    await products.updateOne({ _id: a }, { $set: { pricePaise: 99, name: 'Renamed', gstRatePercent: 28 } });
    const again = await reserveStock(order, [{ productId: a, quantity: 4 }]);
    expect(again).toEqual(first);
    expect(first).toEqual([{ productId: a, quantity: 4, unitPricePaise: 50000, name: 'Brass Diya', gstRatePercent: 18 }]);
    expect(await stockOf(a)).toBe(6);
  });

  it('answers the same error again after a failure, and takes nothing', async () => {
    const a = await product(1, 100, 'Rangoli Kit');
    const order = newOrder();
    const first = await rejectedGraphQLError(reserveStock(order, [{ productId: a, quantity: 3 }]));
    await products.updateOne({ _id: a }, { $set: { stock: 50 } });
    const again = await rejectedGraphQLError(reserveStock(order, [{ productId: a, quantity: 3 }]));
    expect(again.message).toBe(first.message);
    expect(again.extensions).toEqual({ code: 'OUT_OF_STOCK', productId: a, available: 1 });
    expect(await stockOf(a)).toBe(50);
  });

  it('takes the stock once when ten copies of the same call arrive at once', async () => {
    const a = await product(100);
    const b = await product(100);
    const order = newOrder();
    const lines = [
      { productId: a, quantity: 7 },
      { productId: b, quantity: 3 },
    ];
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => reserveStock(order, lines)));
    // Copies that found another holding the reservation for too long answer "busy" (the caller's cue to retry).
    for (const r of results) {
      if (r.status === 'rejected') expect((r.reason as GraphQLError).extensions?.code).toBe('SERVICE_UNAVAILABLE');
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    expect(await reserveStock(order, lines)).toEqual(
      lines.map((l) => ({ ...l, unitPricePaise: 49900, name: 'Brass Diya', gstRatePercent: 18 })),
    );
    expect(await stockOf(a)).toBe(93);
    expect(await stockOf(b)).toBe(97);
  });

  it('refuses the same order id with other lines', async () => {
    const a = await product(10);
    const order = newOrder();
    await reserveStock(order, [{ productId: a, quantity: 1 }]);
    const error = await rejectedGraphQLError(reserveStock(order, [{ productId: a, quantity: 2 }]));
    expect(error.extensions.code).toBe('CONFLICT');
    expect(await stockOf(a)).toBe(9);
  });

  it('finishes a reservation a crash cut short, without taking the line already taken again', async () => {
    const a = await product(10);
    const b = await product(10);
    const order = newOrder();
    const lines = [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 5 },
    ];
    // The first attempt wrote its record and took the first line, then its process died.
    await records.create({
      _id: order,
      state: 'RESERVING',
      lines: lines.map((l) => ({ productId: new Types.ObjectId(l.productId), quantity: l.quantity })),
    });
    await takeLine(products, order, { productId: new Types.ObjectId(a), quantity: 2 });
    expect(await stockOf(a)).toBe(8);
    await reserveStock(order, lines);
    expect(await stockOf(a)).toBe(8);
    expect(await stockOf(b)).toBe(5);
  });

  it('waits out the lease of a caller that died holding it, then carries on', async () => {
    const a = await product(10);
    const order = newOrder();
    const lines = [{ productId: a, quantity: 1 }];
    await records.create({
      _id: order,
      state: 'RESERVING',
      lines: [{ productId: new Types.ObjectId(a), quantity: 1 }],
      leaseOwner: 'dead-process',
      leaseUntil: new Date(Date.now() + 700),
    });
    const busy = await rejectedGraphQLError(reserveStock(order, lines));
    expect(busy.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(await stockOf(a)).toBe(10);
    await vi.waitFor(async () => expect(await reserveStock(order, lines)).toHaveLength(1), { timeout: 3_000, interval: 100 });
    expect(await stockOf(a)).toBe(9);
  });
});

describe('releaseStock', () => {
  it('gives back exactly what the reservation holds, once, however often it is called', async () => {
    const a = await product(10);
    const b = await product(4);
    const order = newOrder();
    await reserveStock(order, [
      { productId: a, quantity: 3 },
      { productId: b, quantity: 4 },
    ]);
    const watcher = watch(b);
    await Promise.allSettled(Array.from({ length: 5 }, () => reservations.release(order)));
    await reservations.release(order);
    await watcher.drainAndStop();
    expect(await stockOf(a)).toBe(10);
    expect(await stockOf(b)).toBe(4);
    expect(watcher.received).toEqual([expect.objectContaining({ id: b, stock: 4 })]);
  });

  it('gives back a sold (committed) order once, and a reserve retry afterwards takes nothing', async () => {
    const a = await product(10);
    const order = newOrder();
    const lines = [{ productId: a, quantity: 6 }];
    await reserveStock(order, lines);
    await reservations.commit(order);
    await reservations.commit(order);
    await reservations.release(order);
    await reservations.release(order);
    expect(await stockOf(a)).toBe(10);
    const late = await rejectedGraphQLError(reserveStock(order, lines));
    expect(late.extensions.code).toBe('CONFLICT');
    expect(await stockOf(a)).toBe(10);
  });

  it('before any reserve: a reserve arriving late takes nothing', async () => {
    const a = await product(5);
    const order = newOrder();
    await reservations.release(order);
    const late = await rejectedGraphQLError(reserveStock(order, [{ productId: a, quantity: 2 }]));
    expect(late.extensions.code).toBe('CONFLICT');
    expect(late.message).toContain('released');
    expect(await stockOf(a)).toBe(5);
  });

  it('of a reservation a crash cut short gives back only the lines taken', async () => {
    const a = await product(10);
    const b = await product(10);
    const order = newOrder();
    await records.create({
      _id: order,
      state: 'RESERVING',
      lines: [
        { productId: new Types.ObjectId(a), quantity: 2 },
        { productId: new Types.ObjectId(b), quantity: 5 },
      ],
    });
    await takeLine(products, order, { productId: new Types.ObjectId(a), quantity: 2 });
    await reservations.release(order);
    await reservations.release(order);
    expect(await stockOf(a)).toBe(10);
    expect(await stockOf(b)).toBe(10);
  });

  it('after a failed reservation gives back nothing more', async () => {
    const a = await product(5);
    const b = await product(0);
    const order = newOrder();
    await rejectedGraphQLError(
      reserveStock(order, [
        { productId: a, quantity: 2 },
        { productId: b, quantity: 1 },
      ]),
    );
    await reservations.release(order);
    expect(await stockOf(a)).toBe(5);
    expect(await stockOf(b)).toBe(0);
  });

  it('cannot commit what was released, nor an order never reserved', async () => {
    const a = await product(5);
    const order = newOrder();
    await reserveStock(order, [{ productId: a, quantity: 1 }]);
    await reservations.release(order);
    expect((await rejectedGraphQLError(reservations.commit(order))).extensions.code).toBe('CONFLICT');
    expect((await rejectedGraphQLError(reservations.commit(newOrder()))).extensions.code).toBe('NOT_FOUND');
  });
});

describe('settling', () => {
  it('removes the markers of finished reservations and finishes a give-back a crash cut short', async () => {
    const a = await product(10);
    const b = await product(10);
    const sold = newOrder();
    const released = newOrder();
    await reserveStock(sold, [{ productId: a, quantity: 1 }]);
    await reservations.commit(sold);
    await reserveStock(released, [{ productId: b, quantity: 4 }]);
    // A release that recorded its decision and died before giving anything back.
    await records.updateOne({ _id: released }, { $set: { state: 'RELEASED', releasedFrom: 'HELD' } });
    expect(await stockOf(b)).toBe(6);
    await settleEverything();
    expect(await stockOf(b)).toBe(10);
    expect(await stockOf(a)).toBe(9);
    expect(await ledgerOf(a)).toEqual([]);
    expect(await ledgerOf(b)).toEqual([]);
    // Settled: later releases change nothing more, and a sold order can still be returned once.
    await reservations.release(released);
    expect(await stockOf(b)).toBe(10);
    await reservations.release(sold);
    await reservations.release(sold);
    expect(await stockOf(a)).toBe(10);
  });
});

/**
 * A products model as an instance that stalls once sees it: the first findOneAndUpdate whose update
 * matches `when` leaves only after `pauseMs` (after every check the caller made before it), as after
 * a GC pause or a frozen VM. `paused` resolves when the stall starts.
 */
function stallingProducts(when: (update: Record<string, unknown>) => boolean, pauseMs: number) {
  let armed = true;
  let started!: () => void;
  const paused = new Promise<void>((resolve) => (started = resolve));
  const model = new Proxy(products, {
    get(target, prop, receiver) {
      if (prop !== 'findOneAndUpdate') return Reflect.get(target, prop, receiver);
      return (filter: object, update: Record<string, unknown>, options: object) => {
        const query = target.findOneAndUpdate(filter, update, options);
        if (!armed || !when(update)) return query;
        armed = false;
        started();
        return { lean: async () => (await sleep(pauseMs), query.lean()) };
      };
    },
  });
  return { model, paused };
}

const pushesMarker = (kind: 'take' | 'return') => (update: Record<string, unknown>) =>
  String((update.$push as { ledger?: string } | undefined)?.ledger ?? '').endsWith(`:${kind}`);

describe('a caller stalled past its lease', () => {
  // A short lease and a settling delay longer than the stall, as in production (5 s and 60 s).
  const STALLING = { leaseMs: 150, leaseWaitMs: 1_000, settleAfterMs: 1_500 };
  const STALL_MS = 600;
  const settleFully = async (instance: Reservations) => {
    for (let round = 0; round < 2; round++) {
      await sleep(STALLING.settleAfterMs + 50);
      await instance.settle();
    }
  };

  it('settling on two instances returns a cancelled sale once, not twice', async () => {
    const productId = await product(10);
    const order = newOrder();
    const healthy = new Reservations(products, records, events, logger, STALLING);
    await healthy.reserve(order, [{ productId, quantity: 3 }]);
    await healthy.commit(order);
    await healthy.release(order);
    expect(await stockOf(productId)).toBe(10);
    await sleep(STALLING.settleAfterMs + 50);

    // Instance A stalls in its (guarded) give-back; B takes the record over once A's lease ran out.
    const stalling = stallingProducts(pushesMarker('return'), STALL_MS);
    const settlingA = new Reservations(stalling.model, records, events, logger, STALLING).settle();
    await stalling.paused;
    await sleep(STALLING.leaseMs + 100);
    await healthy.settle();
    await settlingA;
    expect(await stockOf(productId)).toBe(10);
    await settleFully(healthy);
    expect(await stockOf(productId)).toBe(10);
    expect(await ledgerOf(productId)).toEqual([]);
    // A release after all that gives back nothing more.
    await healthy.release(order);
    expect(await stockOf(productId)).toBe(10);
  });

  it('a take that lands after its order was released is given back by settling', async () => {
    const productId = await product(10);
    const order = newOrder();
    const stalling = stallingProducts(pushesMarker('take'), STALL_MS);
    const reserving = new Reservations(stalling.model, records, events, logger, STALLING)
      .reserve(order, [{ productId, quantity: 4 }])
      .catch((error: unknown) => error as GraphQLError);
    await stalling.paused;
    // Its lease runs out; the orders side gives up on the order and releases it.
    await sleep(STALLING.leaseMs + 100);
    const healthy = new Reservations(products, records, events, logger, STALLING);
    await healthy.release(order);
    // The stalled take lands after the release; the stalled call itself cannot finish.
    expect(((await reserving) as GraphQLError).extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(await stockOf(productId)).toBe(6);
    await settleFully(healthy);
    expect(await stockOf(productId)).toBe(10);
    expect(await ledgerOf(productId)).toEqual([]);
  });

  it('a caller whose lease ran out before it acted changes no stock', async () => {
    const productId = await product(10);
    const order = newOrder();
    const healthy = new Reservations(products, records, events, logger, STALLING);
    await healthy.reserve(order, [{ productId, quantity: 2 }]);
    // A release that stalls between taking the lease and its first stock change.
    const slowRecords = new Proxy(records, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== 'updateOne' || typeof value !== 'function') return value;
        // A real promise that starts the update only after the stall (the caller is paused, not the database).
        return (...args: unknown[]) => sleep(STALL_MS).then(() => (value as (...a: unknown[]) => PromiseLike<unknown>).apply(target, args));
      },
    });
    const stalled = await rejectedGraphQLError(new Reservations(products, slowRecords, events, logger, STALLING).release(order));
    expect(stalled.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(await stockOf(productId)).toBe(8);
    await healthy.release(order);
    expect(await stockOf(productId)).toBe(10);
  });
});

describe('a release after the reservation was settled', () => {
  it('gives back nothing more, for a cancelled sale too', async () => {
    const productId = await product(10);
    const order = newOrder();
    await reserveStock(order, [{ productId, quantity: 3 }]);
    await reservations.commit(order);
    await reservations.release(order);
    await settleEverything();
    expect((await records.findById(order).lean())?.settled).toBe(true);
    await reservations.release(order);
    await reservations.release(order);
    expect(await stockOf(productId)).toBe(10);
  });
});
