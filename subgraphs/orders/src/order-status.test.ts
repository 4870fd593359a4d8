import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError } from 'graphql';
import { Types, type Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { AccessTokenVerifier, type AuthState } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { channels, connectMongo, createInMemoryEventBus } from '@supergraph/subgraph-kit';
import type { CatalogClient } from './catalog-client.js';
import type { OrdersServices } from './context.js';
import { registerOrderModel, type OrderDoc, type StoredStatus } from './model.js';
import { cancelOrder, updateOrderStatus } from './order-status.js';
import { createInvoiceFiles } from './invoice-files.js';
import { createDocumentNumbers } from './invoice-numbers.js';
import { createUnitBudget } from './unit-budget.js';
import { createOrderSlots, registerSlotLedgerModel, type SlotLedgerModel } from './order-slots.js';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

/**
 * Stands in for the catalog service: records releases (the real one is idempotent per order, so
 * callers may repeat them; its own tests prove that), and can be told to fail the next ones.
 */
class RecordingCatalog implements CatalogClient {
  releases: { orderId: string }[] = [];
  failNext = 0;
  async reserve(): Promise<never> {
    throw new Error('not used by these tests');
  }
  async commit(): Promise<void> {}
  async release(orderId: string): Promise<void> {
    await sleep(5); // a network round trip, so concurrent callers overlap
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('catalog unavailable');
    }
    this.releases.push({ orderId });
  }
}

const logger = createLogger('test', 'silent');
let connection: Connection;
let services: OrdersServices;
let catalog: RecordingCatalog;
let ledgers: SlotLedgerModel;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('orders_status'), logger);
  const orders = registerOrderModel(connection);
  await orders.syncIndexes();
  catalog = new RecordingCatalog();
  ledgers = registerSlotLedgerModel(connection);
  services = {
    orders,
    slots: createOrderSlots(ledgers, orders, 20, logger),
    units: createUnitBudget(1_000_000, { redis: null, prefix: 'unit-order-status' }, logger),
    catalog,
    tokens: new AccessTokenVerifier(publicKeysOf(testSigningKey('users'))),
    events: createInMemoryEventBus('unit-order-status', logger),
    logger,
    numbers: createDocumentNumbers(connection, 'BM'),
    files: createInvoiceFiles(connection),
  };
});

afterAll(async () => {
  await services?.events.dispose();
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const customerId = String(new Types.ObjectId());
const owner: AuthState = { viewer: { id: customerId, role: 'CUSTOMER' }, tokenProblem: null };
const stranger: AuthState = { viewer: { id: String(new Types.ObjectId()), role: 'CUSTOMER' }, tokenProblem: null };
const admin: AuthState = { viewer: { id: String(new Types.ObjectId()), role: 'ADMIN' }, tokenProblem: null };

async function order(status: StoredStatus, extra: Partial<OrderDoc> = {}): Promise<OrderDoc> {
  const created = await services.orders.create({
    userId: new Types.ObjectId(customerId),
    items: [
      { productId: new Types.ObjectId(), quantity: 2, unitPricePaise: 49900 },
      { productId: new Types.ObjectId(), quantity: 1, unitPricePaise: 1500 },
    ],
    totalPaise: 101300,
    status,
    idempotencyKey: randomUUID(),
    requestHash: 'h',
    ...extra,
  });
  return created.toObject();
}

const reload = async (id: Types.ObjectId) => (await services.orders.findById(id).lean<OrderDoc>())!;

/** Whether the order counts against its customer's cap on open orders. */
async function holdsSlot(placed: OrderDoc): Promise<boolean> {
  const ledger = await ledgers.findById(placed.userId).lean();
  return (ledger?.orders ?? []).some((id) => id.equals(placed._id));
}

/** An order as placeOrder leaves it: PLACED, holding one of its customer's slots. */
async function placedWithSlot(): Promise<OrderDoc> {
  const placed = await order('PLACED');
  await services.slots.take(placed.userId, placed._id);
  expect(await holdsSlot(placed)).toBe(true);
  return placed;
}

describe('the daily unit budget', () => {
  it('gets the units of a cancelled order back once, however often the cancellation is retried', async () => {
    const budget = createUnitBudget(3, { redis: null, prefix: 'unit-cancel' }, logger);
    const budgeted = { ...services, units: budget };
    const customer = new Types.ObjectId(customerId);
    await budget.take(customer, 3); // as placeOrder took them for the order below (2 + 1 units)
    const placed = await order('PLACED');
    await cancelOrder(budgeted, owner, String(placed._id));
    await expect(cancelOrder(budgeted, owner, String(placed._id))).rejects.toThrow(/cannot be cancelled/);
    await budget.take(customer, 3);
    await expect(budget.take(customer, 1)).rejects.toThrow(/at most 3 units/);
  });
});

describe('open-order slots', () => {
  it('CONFIRMED keeps the slot; SHIPPED gives it back', async () => {
    const placed = await placedWithSlot();
    await updateOrderStatus(services, String(placed._id), 'CONFIRMED');
    expect(await holdsSlot(placed)).toBe(true);
    await updateOrderStatus(services, String(placed._id), 'SHIPPED');
    expect(await holdsSlot(placed)).toBe(false);
  });

  it('going straight to DELIVERED gives it back', async () => {
    const placed = await placedWithSlot();
    await updateOrderStatus(services, String(placed._id), 'DELIVERED');
    expect(await holdsSlot(placed)).toBe(false);
  });

  it('cancelling gives it back, also when returning the stock failed', async () => {
    const placed = await placedWithSlot();
    catalog.failNext = 1;
    await expect(cancelOrder(services, owner, String(placed._id))).rejects.toThrow('catalog unavailable');
    expect(await holdsSlot(placed)).toBe(false);
  });

  it('a refused move or cancellation keeps it', async () => {
    const placed = await placedWithSlot();
    await rejectedGraphQLError(cancelOrder(services, stranger, String(placed._id)));
    await rejectedGraphQLError(updateOrderStatus(services, String(placed._id), 'PLACED'));
    expect(await holdsSlot(placed)).toBe(true);
  });
});

describe('updateOrderStatus', () => {
  it('moves an order forward step by step', async () => {
    const placed = await order('PLACED');
    const id = String(placed._id);
    expect((await updateOrderStatus(services, id, 'CONFIRMED')).status).toBe('CONFIRMED');
    expect((await updateOrderStatus(services, id, 'SHIPPED')).status).toBe('SHIPPED');
    expect((await updateOrderStatus(services, id, 'DELIVERED')).status).toBe('DELIVERED');
    expect((await reload(placed._id)).status).toBe('DELIVERED');
  });

  it('makes a confirmed order owe its invoice, in the same write', async () => {
    const placed = await order('PLACED');
    expect((await reload(placed._id)).invoice).toBeUndefined();
    expect((await updateOrderStatus(services, String(placed._id), 'CONFIRMED')).invoice).toEqual({ status: 'PENDING' });
    // Moving on keeps the invoice as it is.
    await services.orders.updateOne({ _id: placed._id }, { $set: { 'invoice.status': 'READY' } });
    expect((await updateOrderStatus(services, String(placed._id), 'SHIPPED')).invoice).toEqual({ status: 'READY' });
    // An order shipped without being confirmed first owes one all the same.
    const skipped = await order('PLACED');
    expect((await updateOrderStatus(services, String(skipped._id), 'DELIVERED')).invoice).toEqual({ status: 'PENDING' });
  });

  it('may skip steps forward', async () => {
    const placed = await order('PLACED');
    expect((await updateOrderStatus(services, String(placed._id), 'SHIPPED')).status).toBe('SHIPPED');
  });

  it('never moves back, naming `status` and leaving the order as it was', async () => {
    const shipped = await order('SHIPPED');
    for (const target of ['CONFIRMED', 'SHIPPED'] as const) {
      const error = await rejectedGraphQLError(updateOrderStatus(services, String(shipped._id), target));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'status' });
      expect(error.message).toContain('SHIPPED');
    }
    expect((await reload(shipped._id)).status).toBe('SHIPPED');
  });

  it('refuses PLACED and CANCELLED as targets', async () => {
    const confirmed = await order('CONFIRMED');
    expect((await rejectedGraphQLError(updateOrderStatus(services, String(confirmed._id), 'PLACED'))).extensions.field).toBe('status');
    const cancel = await rejectedGraphQLError(updateOrderStatus(services, String(confirmed._id), 'CANCELLED'));
    expect(cancel.message).toContain('cancelOrder');
    expect((await reload(confirmed._id)).status).toBe('CONFIRMED');
  });

  it('does not move a cancelled order', async () => {
    const cancelled = await order('CANCELLED', { stockReturn: 'DONE' });
    expect((await rejectedGraphQLError(updateOrderStatus(services, String(cancelled._id), 'SHIPPED'))).extensions.code).toBe(
      'BAD_USER_INPUT',
    );
    expect((await reload(cancelled._id)).status).toBe('CANCELLED');
  });

  it('treats unknown and pending orders as not found', async () => {
    const pending = await order('PENDING');
    for (const id of [String(new Types.ObjectId()), String(pending._id)]) {
      expect((await rejectedGraphQLError(updateOrderStatus(services, id, 'CONFIRMED'))).extensions.code).toBe('NOT_FOUND');
    }
    expect((await reload(pending._id)).status).toBe('PENDING');
    expect((await rejectedGraphQLError(updateOrderStatus(services, 'nope', 'CONFIRMED'))).extensions.code).toBe('BAD_USER_INPUT');
  });

  it('lets exactly one of two concurrent moves win', async () => {
    const placed = await order('PLACED');
    const results = await Promise.allSettled([
      updateOrderStatus(services, String(placed._id), 'CONFIRMED'),
      updateOrderStatus(services, String(placed._id), 'CONFIRMED'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('publishes the new status on the order’s channel', async () => {
    const placed = await order('PLACED');
    const id = String(placed._id);
    const iterator = services.events.subscribe<{ _id: unknown; userId: unknown; status: string }>(channels.orderStatusChanged(id));
    const next = iterator.next();
    await sleep(0);
    await updateOrderStatus(services, id, 'CONFIRMED');
    // The event carries the order as stored, so subscribers need no read.
    const event = (await next).value!;
    expect({ id: String(event._id), userId: String(event.userId), status: event.status }).toEqual({
      id,
      userId: customerId,
      status: 'CONFIRMED',
    });
    await iterator.return?.();
  });
});

describe('cancelOrder', () => {
  it('cancels the owner’s order and returns its stock once', async () => {
    const placed = await order('PLACED');
    catalog.releases = [];
    const cancelled = await cancelOrder(services, owner, String(placed._id));
    expect(cancelled).toMatchObject({ status: 'CANCELLED', stockReturn: 'DONE' });
    expect(catalog.releases).toEqual([{ orderId: String(placed._id) }]);
  });

  it('lets an admin cancel anyone’s confirmed order', async () => {
    const confirmed = await order('CONFIRMED');
    expect((await cancelOrder(services, admin, String(confirmed._id))).status).toBe('CANCELLED');
  });

  it('makes a cancelled order that owed an invoice owe a credit note, and one that did not owe nothing', async () => {
    const confirmed = await order('CONFIRMED', { invoice: { status: 'READY', number: 'BM/2026-27/000001', issuedAt: new Date() } });
    expect(await cancelOrder(services, owner, String(confirmed._id))).toMatchObject({
      status: 'CANCELLED',
      creditNote: { status: 'PENDING' },
    });
    const placed = await order('PLACED');
    const cancelled = await cancelOrder(services, owner, String(placed._id));
    expect(cancelled.invoice).toBeUndefined();
    expect(cancelled.creditNote).toBeUndefined();
  });

  it('refuses another customer, leaving the order and stock alone', async () => {
    const placed = await order('PLACED');
    catalog.releases = [];
    expect((await rejectedGraphQLError(cancelOrder(services, stranger, String(placed._id)))).extensions.code).toBe('FORBIDDEN');
    expect((await reload(placed._id)).status).toBe('PLACED');
    expect(catalog.releases).toEqual([]);
  });

  it('refuses orders that have shipped, and cancelling twice', async () => {
    const shipped = await order('SHIPPED');
    expect((await rejectedGraphQLError(cancelOrder(services, owner, String(shipped._id)))).extensions.code).toBe('CONFLICT');
    const placed = await order('PLACED');
    await cancelOrder(services, owner, String(placed._id));
    catalog.releases = [];
    expect((await rejectedGraphQLError(cancelOrder(services, owner, String(placed._id)))).extensions.code).toBe('CONFLICT');
    expect(catalog.releases).toEqual([]);
  });

  it('treats pending and unknown orders as not found', async () => {
    const pending = await order('PENDING');
    expect((await rejectedGraphQLError(cancelOrder(services, owner, String(pending._id)))).extensions.code).toBe('NOT_FOUND');
    expect((await rejectedGraphQLError(cancelOrder(services, owner, String(new Types.ObjectId())))).extensions.code).toBe('NOT_FOUND');
  });

  it('cancels once and asks only for this order’s release when the same order is cancelled concurrently', async () => {
    const placed = await order('PLACED');
    catalog.releases = [];
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => cancelOrder(services, owner, String(placed._id))));
    expect(new Set(catalog.releases.map((r) => r.orderId))).toEqual(new Set([String(placed._id)]));
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
    for (const r of results) {
      if (r.status === 'fulfilled') expect(r.value.status).toBe('CANCELLED');
      else expect((r.reason as GraphQLError).extensions?.code).toBe('CONFLICT');
    }
    expect(await reload(placed._id)).toMatchObject({ status: 'CANCELLED', stockReturn: 'DONE' });
  });

  it('finishes returning the stock when a failed cancellation is retried', async () => {
    const placed = await order('PLACED');
    catalog.releases = [];
    catalog.failNext = 1;
    await expect(cancelOrder(services, owner, String(placed._id))).rejects.toThrow('catalog unavailable');
    expect(await reload(placed._id)).toMatchObject({ status: 'CANCELLED', stockReturn: 'DUE' });
    expect(catalog.releases).toEqual([]);

    const retried = await cancelOrder(services, owner, String(placed._id));
    expect(retried).toMatchObject({ status: 'CANCELLED', stockReturn: 'DONE' });
    expect(catalog.releases).toHaveLength(1);
  });
});
