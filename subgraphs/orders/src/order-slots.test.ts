import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { createLogger } from '@supergraph/runtime';
import { configErrorMessage, rejectedGraphQLError } from '@supergraph/runtime/testing';
import { connectMongo } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import { registerOrderModel, type OrderModel, type StoredStatus } from './model.js';
import {
  createOrderSlots,
  DEFAULT_MAX_PLACED_PER_CUSTOMER,
  readMaxPlacedPerCustomer,
  registerSlotLedgerModel,
  type SlotLedgerModel,
} from './order-slots.js';
import { loadOrdersConfig } from './server.js';

const logger = createLogger('test', 'silent');
let connection: Connection;
let orders: OrderModel;
let ledgers: SlotLedgerModel;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('orders_slots'), logger);
  orders = registerOrderModel(connection);
  await orders.syncIndexes();
  ledgers = registerSlotLedgerModel(connection);
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

/** Writes an order the way placeOrder's first step does (slots are taken for orders that exist). */
async function order(userId: Types.ObjectId, status: StoredStatus = 'PENDING'): Promise<Types.ObjectId> {
  const created = await orders.create({
    userId,
    items: [{ productId: new Types.ObjectId(), quantity: 1, unitPricePaise: 100 }],
    totalPaise: 100,
    status,
    idempotencyKey: randomUUID(),
    requestHash: 'h',
  });
  return created._id;
}

const held = async (userId: Types.ObjectId) => ((await ledgers.findById(userId).lean())?.orders ?? []).map(String);

describe('order slots', () => {
  it('gives out max slots, then refuses with LIMIT_REACHED naming the cap and what to do', async () => {
    const slots = createOrderSlots(ledgers, orders, 3, logger);
    const user = new Types.ObjectId();
    const ids = [await order(user), await order(user), await order(user)];
    for (const id of ids) await slots.take(user, id);
    const error = await rejectedGraphQLError(slots.take(user, await order(user)));
    expect(error.extensions).toEqual({ code: 'LIMIT_REACHED', max: 3 });
    expect(error.message).toMatch(/^You already have 3 orders placed and not yet shipped or cancelled/);
    expect(error.message).toMatch(/cancel one of them or wait until one ships/);
    expect(await held(user)).toEqual(ids.map(String));
  });

  it('counts each customer on their own', async () => {
    const slots = createOrderSlots(ledgers, orders, 1, logger);
    const [a, b] = [new Types.ObjectId(), new Types.ObjectId()];
    await slots.take(a, await order(a));
    await slots.take(b, await order(b));
    expect((await rejectedGraphQLError(slots.take(a, await order(a)))).extensions.code).toBe('LIMIT_REACHED');
  });

  it('takes a slot again for the same order without counting it twice', async () => {
    const slots = createOrderSlots(ledgers, orders, 2, logger);
    const user = new Types.ObjectId();
    const id = await order(user);
    await slots.take(user, id);
    await slots.take(user, id);
    expect(await held(user)).toEqual([String(id)]);
  });

  it('a released slot can be taken again; releasing twice, or an order never counted, changes nothing', async () => {
    const slots = createOrderSlots(ledgers, orders, 2, logger);
    const user = new Types.ObjectId();
    const [first, second] = [await order(user), await order(user)];
    await slots.take(user, first);
    await slots.take(user, second);
    await slots.release(user, first);
    await slots.release(user, first);
    await slots.release(user, new Types.ObjectId());
    expect(await held(user)).toEqual([String(second)]);
    const third = await order(user);
    await slots.take(user, third);
    expect(await held(user)).toEqual([String(second), String(third)]);
  });

  it('lets exactly max of many simultaneous placements in, also for a customer without a ledger yet', async () => {
    const slots = createOrderSlots(ledgers, orders, 3, logger);
    const user = new Types.ObjectId();
    const ids = await Promise.all(Array.from({ length: 12 }, () => order(user)));
    const results = await Promise.allSettled(ids.map((id) => slots.take(user, id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect(r.reason.extensions).toMatchObject({ code: 'LIMIT_REACHED', max: 3 });
    const holders = await held(user);
    expect(holders).toHaveLength(3);
    expect(new Set(holders).size).toBe(3);
  });

  it('starts a ledger with the customer’s PLACED and CONFIRMED orders from before the cap, not their closed ones', async () => {
    const slots = createOrderSlots(ledgers, orders, 3, logger);
    const user = new Types.ObjectId();
    const placed = await order(user, 'PLACED');
    const confirmed = await order(user, 'CONFIRMED');
    for (const status of ['SHIPPED', 'DELIVERED', 'CANCELLED'] as const) await order(user, status);
    await order(new Types.ObjectId(), 'PLACED'); // someone else's
    const mine = await order(user);
    await slots.take(user, mine);
    expect(await held(user)).toEqual([String(placed), String(confirmed), String(mine)]);
    expect((await rejectedGraphQLError(slots.take(user, await order(user)))).extensions.code).toBe('LIMIT_REACHED');
  });

  it('at the cap, drops slots whose orders closed or vanished without a release (a crash), keeping live ones', async () => {
    const slots = createOrderSlots(ledgers, orders, 3, logger);
    const user = new Types.ObjectId();
    const [live, shipped, deleted] = [await order(user), await order(user), await order(user)];
    for (const id of [live, shipped, deleted]) await slots.take(user, id);
    // The process died after these writes and before their releases.
    await orders.updateOne({ _id: shipped }, { $set: { status: 'SHIPPED' } });
    await orders.deleteOne({ _id: deleted });

    const next = await order(user);
    await slots.take(user, next);
    expect(await held(user)).toEqual([String(live), String(next)]);
  });

  it('refuses when every slot belongs to an order still open', async () => {
    const slots = createOrderSlots(ledgers, orders, 2, logger);
    const user = new Types.ObjectId();
    const [pending, confirmed] = [await order(user), await order(user)];
    await slots.take(user, pending);
    await slots.take(user, confirmed);
    await orders.updateOne({ _id: confirmed }, { $set: { status: 'CONFIRMED' } });
    expect((await rejectedGraphQLError(slots.take(user, await order(user)))).extensions.code).toBe('LIMIT_REACHED');
    expect(await held(user)).toEqual([String(pending), String(confirmed)]);
  });

  it('a lower cap than the ledger holds refuses until enough orders close', async () => {
    const user = new Types.ObjectId();
    const wide = createOrderSlots(ledgers, orders, 4, logger);
    const ids = await Promise.all(Array.from({ length: 4 }, () => order(user)));
    for (const id of ids) await wide.take(user, id);
    const narrow = createOrderSlots(ledgers, orders, 2, logger);
    await narrow.release(user, ids[0]);
    expect((await rejectedGraphQLError(narrow.take(user, await order(user)))).extensions).toMatchObject({ max: 2 });
    await narrow.release(user, ids[1]);
    await narrow.release(user, ids[2]);
    await narrow.take(user, await order(user));
  });
});

describe('ORDERS_MAX_PLACED_PER_CUSTOMER', () => {
  const base = {
    NODE_ENV: 'development',
    GATEWAY_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('gateway')) }),
    USER_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('users')) }),
    ORDERS_SERVICE_SIGNING_KEY: JSON.stringify(testSigningKey('orders')),
  };

  it('defaults to 20 and can be set from 1 to 1000', () => {
    expect(DEFAULT_MAX_PLACED_PER_CUSTOMER).toBe(20);
    expect(loadOrdersConfig(base).maxPlacedPerCustomer).toBe(20);
    expect(loadOrdersConfig({ ...base, ORDERS_MAX_PLACED_PER_CUSTOMER: ' 3 ' }).maxPlacedPerCustomer).toBe(3);
    expect(readMaxPlacedPerCustomer({ ORDERS_MAX_PLACED_PER_CUSTOMER: '' })).toBe(20);
    expect(readMaxPlacedPerCustomer({ ORDERS_MAX_PLACED_PER_CUSTOMER: '1000' })).toBe(1000);
  });

  it.each(['0', '-1', '2.5', 'twenty', '1001', '1e3'])('stops the service for %s, naming the variable', (raw) => {
    expect(configErrorMessage(() => loadOrdersConfig({ ...base, ORDERS_MAX_PLACED_PER_CUSTOMER: raw }))).toBe(
      `ORDERS_MAX_PLACED_PER_CUSTOMER must be a whole number from 1 to 1000 (got "${raw}")`,
    );
  });
});
