import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types, type Connection } from 'mongoose';
import { appError, createLogger, ErrorCode } from '@supergraph/runtime';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { AccessTokenVerifier, type Viewer } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { connectMongo, createInMemoryEventBus, ServiceCallError } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import type { ReservedLine, StockLine } from '@supergraph/contracts';
import type { CatalogClient } from './catalog-client.js';
import type { OrdersServices } from './context.js';
import { registerOrderModel } from './model.js';
import { createInvoiceFiles } from './invoice-files.js';
import { createDocumentNumbers } from './invoice-numbers.js';
import { createUnitBudget } from './unit-budget.js';
import { createOrderSlots, registerSlotLedgerModel, type SlotLedgerModel } from './order-slots.js';
import { placeOrder } from './place-order.js';
import { PendingSweeper } from './pending-sweeper.js';

/**
 * Stands in for the catalog service, idempotent per order as the real one is (its own tests
 * prove that): counts units held, can be told to run out, or to stop answering (a lost call).
 */
class CountingCatalog implements CatalogClient {
  private readonly held = new Map<string, number>();
  outOfStock = false;
  unreachable = false;
  releaseUnreachable = false;
  get reserved() {
    return [...this.held.values()].reduce((sum, units) => sum + units, 0);
  }
  reset() {
    this.held.clear();
    this.outOfStock = this.unreachable = this.releaseUnreachable = this.commitUnreachable = false;
  }
  async reserve(orderId: string, lines: StockLine[]): Promise<ReservedLine[]> {
    await sleep(5); // a network round trip, so concurrent placements overlap
    if (this.outOfStock) throw appError(ErrorCode.OutOfStock, 'Only 0 unit(s) left');
    // Lost on the way back: the catalog took the stock, the caller never hears so.
    this.held.set(
      orderId,
      lines.reduce((sum, line) => sum + line.quantity, 0),
    );
    if (this.unreachable) throw new ServiceCallError('request to catalog failed: timeout');
    return lines.map((line) => ({ ...line, unitPricePaise: 100, name: 'Steel Tiffin', gstRatePercent: 12 }));
  }
  async release(orderId: string): Promise<void> {
    if (this.releaseUnreachable) throw new ServiceCallError('request to catalog failed: connection refused');
    this.held.delete(orderId);
  }
  commitUnreachable = false;
  readonly committed = new Set<string>();
  async commit(orderId: string): Promise<void> {
    if (this.commitUnreachable) throw new ServiceCallError('request to catalog failed: timeout');
    this.committed.add(orderId);
  }
}

const MAX = 3;
const logger = createLogger('test', 'silent');
let connection: Connection;
let services: OrdersServices;
let catalog: CountingCatalog;
let ledgers: SlotLedgerModel;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('orders_place'), logger);
  const orders = registerOrderModel(connection);
  await orders.syncIndexes();
  ledgers = registerSlotLedgerModel(connection);
  catalog = new CountingCatalog();
  services = {
    orders,
    slots: createOrderSlots(ledgers, orders, MAX, logger),
    units: createUnitBudget(1_000_000, { redis: null, prefix: 'unit-place-order' }, logger),
    catalog,
    tokens: new AccessTokenVerifier(publicKeysOf(testSigningKey('users'))),
    events: createInMemoryEventBus('unit-place-order', logger),
    logger,
    numbers: createDocumentNumbers(connection, 'BM'),
    files: createInvoiceFiles(connection),
  };
});

beforeEach(() => catalog.reset());

afterAll(async () => {
  await services?.events.dispose();
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const customer = (): Viewer => ({ id: String(new Types.ObjectId()), role: 'CUSTOMER' });
const basket = (idempotencyKey?: string) => ({ items: [{ productId: String(new Types.ObjectId()), quantity: 2 }], idempotencyKey });
const ordersOf = (viewer: Viewer) => services.orders.find({ userId: new Types.ObjectId(viewer.id) }).lean();
/** Orders that count: a refused placement leaves only a FAILED record, kept for audit and never shown. */
const liveOrdersOf = (viewer: Viewer) => services.orders.find({ userId: new Types.ObjectId(viewer.id), status: { $ne: 'FAILED' } }).lean();

describe('placeOrder and the cap on open orders', () => {
  it('refuses the order after the cap with LIMIT_REACHED, before reserving anything and leaving no live order behind', async () => {
    const viewer = customer();
    for (let i = 0; i < MAX; i++) expect((await placeOrder(services, viewer, basket())).status).toBe('PLACED');
    const error = await rejectedGraphQLError(placeOrder(services, viewer, basket('over-the-cap')));
    expect(error.extensions).toEqual({ code: 'LIMIT_REACHED', max: MAX });
    expect(catalog.reserved).toBe(MAX * 2);
    expect((await liveOrdersOf(viewer)).map((o) => o.status)).toEqual(['PLACED', 'PLACED', 'PLACED']);
  });

  it('gives the slot back when the reservation fails', async () => {
    const viewer = customer();
    for (let i = 0; i < MAX - 1; i++) await placeOrder(services, viewer, basket());
    catalog.outOfStock = true;
    expect((await rejectedGraphQLError(placeOrder(services, viewer, basket()))).extensions.code).toBe('OUT_OF_STOCK');
    catalog.outOfStock = false;
    expect((await placeOrder(services, viewer, basket())).status).toBe('PLACED');
    expect((await ledgers.findById(viewer.id).lean())?.orders).toHaveLength(MAX);
  });

  it('answers a retry of an order already placed with that order, also at the cap', async () => {
    const viewer = customer();
    const input = basket('checkout-1');
    const first = await placeOrder(services, viewer, input);
    for (let i = 1; i < MAX; i++) await placeOrder(services, viewer, basket());
    expect(String((await placeOrder(services, viewer, input))._id)).toBe(String(first._id));
  });

  it('lets exactly the cap of simultaneous placements through; the rest never reach the catalog', async () => {
    const viewer = customer();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => placeOrder(services, viewer, basket())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(MAX);
    for (const r of results) if (r.status === 'rejected') expect(r.reason.extensions.code).toBe('LIMIT_REACHED');
    expect(catalog.reserved).toBe(MAX * 2);
    expect(await liveOrdersOf(viewer)).toHaveLength(MAX);
  });
});

describe('placeOrder and the daily unit budget', () => {
  const withBudget = (max: number): OrdersServices => ({
    ...services,
    units: createUnitBudget(max, { redis: null, prefix: `units-${max}` }, logger),
  });
  const units = (quantity: number) => ({ items: [{ productId: String(new Types.ObjectId()), quantity }] });

  it('refuses an order that would take a customer past the budget, before reserving, and leaves no live order behind', async () => {
    const budgeted = withBudget(5);
    const viewer = customer();
    expect((await placeOrder(budgeted, viewer, units(4))).status).toBe('PLACED');
    const reservedBefore = catalog.reserved;
    const error = await rejectedGraphQLError(placeOrder(budgeted, viewer, units(2)));
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'units-per-customer-per-day' });
    expect(catalog.reserved).toBe(reservedBefore);
    expect(await liveOrdersOf(viewer)).toHaveLength(1);
    // What is left can still be ordered, and another customer has a budget of their own.
    expect((await placeOrder(budgeted, viewer, units(1))).status).toBe('PLACED');
    expect((await placeOrder(budgeted, customer(), units(5))).status).toBe('PLACED');
  });

  it('gives the units of a placement that failed back', async () => {
    const budgeted = withBudget(5);
    const viewer = customer();
    catalog.outOfStock = true;
    await rejectedGraphQLError(placeOrder(budgeted, viewer, units(4)));
    catalog.outOfStock = false;
    expect((await placeOrder(budgeted, viewer, units(5))).status).toBe('PLACED');
  });
});

describe('placeOrder when the catalog does not answer', () => {
  it('releases the reservation, fails the order with SERVICE_UNAVAILABLE, and frees the key, slot and units', async () => {
    const budgeted: OrdersServices = { ...services, units: createUnitBudget(4, { redis: null, prefix: 'units-lost' }, logger) };
    const viewer = customer();
    const input = { items: [{ productId: String(new Types.ObjectId()), quantity: 4 }], idempotencyKey: 'lost-reply' };
    catalog.unreachable = true;
    const error = await rejectedGraphQLError(placeOrder(budgeted, viewer, input));
    expect(error.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect(catalog.reserved).toBe(0);
    expect((await ordersOf(viewer)).map((o) => [o.status, o.failedKey])).toEqual([['FAILED', 'lost-reply']]);
    // The same key works again once the catalog answers, with the whole budget and a slot.
    catalog.unreachable = false;
    const placed = await placeOrder(budgeted, viewer, input);
    expect(placed.status).toBe('PLACED');
    expect(catalog.reserved).toBe(4);
    expect((await ledgers.findById(viewer.id).lean())?.orders).toEqual([placed._id]);
  });

  it('hands an order whose release cannot be confirmed to the sweeper, which finishes it', async () => {
    const viewer = customer();
    const input = basket('both-lost');
    catalog.unreachable = true;
    catalog.releaseUnreachable = true;
    await rejectedGraphQLError(placeOrder(services, viewer, input));
    expect((await ordersOf(viewer)).map((o) => o.status)).toEqual(['FAILING']);
    expect(catalog.reserved).toBe(2);
    // A retry meanwhile is told to come back, not made to wait.
    expect((await rejectedGraphQLError(placeOrder(services, viewer, input))).extensions.code).toBe('SERVICE_UNAVAILABLE');

    const sweeper = new PendingSweeper(services, { pendingTimeoutMs: 60_000, intervalMs: 100 });
    // While the catalog is still away the sweeper leaves it (and gives its claim up for the next round).
    catalog.unreachable = false;
    await sweeper.sweep();
    expect((await ordersOf(viewer)).map((o) => o.status)).toEqual(['FAILING']);
    catalog.releaseUnreachable = false;
    await sweeper.sweep();
    expect((await ordersOf(viewer)).map((o) => o.status)).toEqual(['FAILED']);
    expect(catalog.reserved).toBe(0);
    expect((await ledgers.findById(viewer.id).lean())?.orders ?? []).toEqual([]);
    expect((await placeOrder(services, viewer, input)).status).toBe('PLACED');
  });

  it('lets a retry undo its last attempt itself once the catalog answers, instead of waiting for a sweep', async () => {
    const viewer = customer();
    const input = basket('undo-on-retry');
    catalog.unreachable = true;
    catalog.releaseUnreachable = true;
    await rejectedGraphQLError(placeOrder(services, viewer, input));
    expect((await ordersOf(viewer)).map((o) => o.status)).toEqual(['FAILING']);
    catalog.reset(); // the catalog is back (and forgets what it held: the count below is what is held after the retry)
    catalog.unreachable = false;
    const placed = await placeOrder(services, viewer, input);
    expect(placed.status).toBe('PLACED');
    expect((await ordersOf(viewer)).map((o) => o.status).sort()).toEqual(['FAILED', 'PLACED']);
    expect(catalog.reserved).toBe(2);
    expect((await ledgers.findById(viewer.id).lean())?.orders).toEqual([placed._id]);
  });

  it('finishes every order a crash left PENDING in one sweep, a few at a time', async () => {
    const viewer = customer();
    const createdAt = new Date(Date.now() - 120_000);
    const stale = await services.orders.insertMany(
      Array.from({ length: 9 }, (_, i) => ({
        userId: new Types.ObjectId(viewer.id),
        items: [{ productId: new Types.ObjectId(), quantity: 1, unitPricePaise: 0 }],
        totalPaise: 0,
        status: 'PENDING',
        idempotencyKey: `crashed-${i}`,
        requestHash: 'x',
        createdAt,
      })),
    );
    let inFlight = 0;
    let mostAtOnce = 0;
    const counting = new (class extends CountingCatalog {
      override async release(orderId: string) {
        mostAtOnce = Math.max(mostAtOnce, ++inFlight);
        await sleep(20);
        inFlight--;
        return super.release(orderId);
      }
    })();
    const finished = await new PendingSweeper({ ...services, catalog: counting }, { pendingTimeoutMs: 60_000, intervalMs: 100 }).sweep();
    expect(finished).toBe(9);
    expect(mostAtOnce).toBeGreaterThan(1);
    const after = await services.orders.find({ _id: { $in: stale.map((o) => o._id) } }).lean();
    expect(after.map((o) => o.status)).toEqual(Array(9).fill('FAILED'));
  });

  it('sweeps an order left PENDING by a crash once it is older than the timeout', async () => {
    const viewer = customer();
    const stale = await services.orders.create({
      userId: new Types.ObjectId(viewer.id),
      items: [{ productId: new Types.ObjectId(), quantity: 1, unitPricePaise: 0 }],
      totalPaise: 0,
      status: 'PENDING',
      idempotencyKey: 'crashed',
      requestHash: 'x',
      unitsTaken: 1,
    });
    const sweeper = new PendingSweeper(services, { pendingTimeoutMs: 1_000, intervalMs: 100 });
    await sweeper.sweep();
    expect(await services.orders.findById(stale._id).lean()).toMatchObject({ status: 'PENDING' }); // not stale yet
    await sleep(1_100);
    await sweeper.sweep();
    expect(await services.orders.findById(stale._id).lean()).toMatchObject({ status: 'FAILED', failedKey: 'crashed' });
  });

  it('places the order when only the stock commit fails, and the sweeper commits it later', async () => {
    const viewer = customer();
    catalog.commitUnreachable = true;
    const placed = await placeOrder(services, viewer, basket());
    expect(placed.status).toBe('PLACED');
    expect(await services.orders.findById(placed._id).lean()).toMatchObject({ stockCommitDue: true });
    catalog.commitUnreachable = false;
    await new PendingSweeper(services, { pendingTimeoutMs: 60_000, intervalMs: 100 }).sweep();
    expect(catalog.committed.has(String(placed._id))).toBe(true);
    expect((await services.orders.findById(placed._id).lean())?.stockCommitDue).toBeUndefined();
  });

  it('a sweeper that claims an order first wins: the late placement is not marked PLACED', async () => {
    const viewer = customer();
    const slow = new (class extends CountingCatalog {
      override async reserve(orderId: string, lines: StockLine[]) {
        // The sweeper claims the order while its reservation is on the way.
        await services.orders.updateOne(
          { _id: new Types.ObjectId(orderId) },
          { $set: { status: 'FAILING', sweepLeaseUntil: new Date(Date.now() + 60_000) } },
        );
        return super.reserve(orderId, lines);
      }
    })();
    const error = await rejectedGraphQLError(placeOrder({ ...services, catalog: slow }, viewer, basket()));
    expect(error.extensions.code).toBe('SERVICE_UNAVAILABLE');
    expect((await ordersOf(viewer)).map((o) => o.status)).toEqual(['FAILING']);
  });
});
