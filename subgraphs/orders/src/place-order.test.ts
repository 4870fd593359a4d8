import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types, type Connection } from 'mongoose';
import { appError, createLogger, ErrorCode } from '@supergraph/runtime';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { AccessTokenVerifier, type Viewer } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { connectMongo, createInMemoryEventBus } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import type { ReservedLine, StockLine } from '@supergraph/contracts';
import type { CatalogClient } from './catalog-client.js';
import type { OrdersServices } from './context.js';
import { registerOrderModel } from './model.js';
import { createUnitBudget } from './unit-budget.js';
import { createOrderSlots, registerSlotLedgerModel, type SlotLedgerModel } from './order-slots.js';
import { placeOrder } from './place-order.js';

/** Stands in for the catalog service: counts units reserved and released, and can be told to run out. */
class CountingCatalog implements CatalogClient {
  reserved = 0;
  outOfStock = false;
  async reserve(_orderId: string, lines: StockLine[]): Promise<ReservedLine[]> {
    await sleep(5); // a network round trip, so concurrent placements overlap
    if (this.outOfStock) throw appError(ErrorCode.OutOfStock, 'Only 0 unit(s) left');
    this.reserved += lines.reduce((sum, line) => sum + line.quantity, 0);
    return lines.map((line) => ({ ...line, unitPricePaise: 100 }));
  }
  async release(_orderId: string, lines: StockLine[]): Promise<void> {
    this.reserved -= lines.reduce((sum, line) => sum + line.quantity, 0);
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
  };
});

beforeEach(() => {
  catalog.reserved = 0;
  catalog.outOfStock = false;
});

afterAll(async () => {
  await services?.events.dispose();
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const customer = (): Viewer => ({ id: String(new Types.ObjectId()), role: 'CUSTOMER' });
const basket = (idempotencyKey?: string) => ({ items: [{ productId: String(new Types.ObjectId()), quantity: 2 }], idempotencyKey });
const ordersOf = (viewer: Viewer) => services.orders.find({ userId: new Types.ObjectId(viewer.id) }).lean();

describe('placeOrder and the cap on open orders', () => {
  it('refuses the order after the cap with LIMIT_REACHED, before reserving anything and leaving no order behind', async () => {
    const viewer = customer();
    for (let i = 0; i < MAX; i++) expect((await placeOrder(services, viewer, basket())).status).toBe('PLACED');
    const error = await rejectedGraphQLError(placeOrder(services, viewer, basket('over-the-cap')));
    expect(error.extensions).toEqual({ code: 'LIMIT_REACHED', max: MAX });
    expect(catalog.reserved).toBe(MAX * 2);
    expect((await ordersOf(viewer)).map((o) => o.status)).toEqual(['PLACED', 'PLACED', 'PLACED']);
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
    expect(await ordersOf(viewer)).toHaveLength(MAX);
  });
});

describe('placeOrder and the daily unit budget', () => {
  const withBudget = (max: number): OrdersServices => ({
    ...services,
    units: createUnitBudget(max, { redis: null, prefix: `units-${max}` }, logger),
  });
  const units = (quantity: number) => ({ items: [{ productId: String(new Types.ObjectId()), quantity }] });

  it('refuses an order that would take a customer past the budget, before reserving, and leaves nothing behind', async () => {
    const budgeted = withBudget(5);
    const viewer = customer();
    expect((await placeOrder(budgeted, viewer, units(4))).status).toBe('PLACED');
    const reservedBefore = catalog.reserved;
    const error = await rejectedGraphQLError(placeOrder(budgeted, viewer, units(2)));
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'units-per-customer-per-day' });
    expect(catalog.reserved).toBe(reservedBefore);
    expect(await ordersOf(viewer)).toHaveLength(1);
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
