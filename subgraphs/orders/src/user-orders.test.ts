import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { Types, type Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { connectMongo, encodeCursor } from '@supergraph/subgraph-kit';
import { registerOrderModel, type OrderDoc, type OrderModel, type StoredStatus } from './model.js';
import { createOrdersByUserLoader, decodeOrderCursor, encodeOrderCursor, type OrdersPage } from './user-orders.js';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

let connection: Connection;
let orders: OrderModel;
let commands: { name: string; collection: unknown }[];

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('orders_pages'), createLogger('test', 'silent'), { monitorCommands: true });
  orders = registerOrderModel(connection);
  await orders.syncIndexes();
  connection.getClient().on('commandStarted', (event) => {
    if (event.commandName === 'find' || event.commandName === 'aggregate') {
      commands.push({ name: event.commandName, collection: event.command[event.commandName] });
    }
  });
});

beforeEach(() => {
  commands = [];
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const T0 = Date.parse('2026-10-01T00:00:00Z');

/** Inserts orders for a user with the given creation times (ms after T0) and statuses. */
async function seed(userId: Types.ObjectId, specs: { at: number; status?: StoredStatus }[]): Promise<OrderDoc[]> {
  const docs = specs.map(({ at, status }) => ({
    _id: new Types.ObjectId(),
    userId,
    items: [{ productId: new Types.ObjectId(), quantity: 1, unitPricePaise: 100 }],
    totalPaise: 100,
    status: status ?? 'PLACED',
    idempotencyKey: randomUUID(),
    requestHash: 'h',
    version: 0,
    createdAt: new Date(T0 + at),
    updatedAt: new Date(T0 + at),
  }));
  // Straight to the collection, so the test controls createdAt.
  await orders.collection.insertMany(docs);
  return docs;
}

/** Ids newest first, as the API lists them. */
const newestFirst = (docs: OrderDoc[]) =>
  [...docs]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || String(b._id).localeCompare(String(a._id)))
    .map((d) => String(d._id));

const ids = (page: OrdersPage) => page.edges.map((e) => String(e.node._id));

async function walk(userId: string, first: number): Promise<{ ids: string[]; pages: OrdersPage[] }> {
  const pages: OrdersPage[] = [];
  let after: string | null = null;
  for (let i = 0; i < 50; i++) {
    const page: OrdersPage = await createOrdersByUserLoader(orders).load({ userId, first, after });
    pages.push(page);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return { ids: pages.flatMap(ids), pages };
}

describe('encodeOrderCursor', () => {
  it('is opaque, URL-safe and carries the creation time and id', () => {
    const order = { _id: new Types.ObjectId(), createdAt: new Date(T0) };
    const cursor = encodeOrderCursor(order);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain(String(order._id));
    expect(Buffer.from(cursor, 'base64url').toString()).toBe(`o:${T0}:${String(order._id)}`);
  });

  it('round-trips through decodeOrderCursor', () => {
    const order = { _id: new Types.ObjectId(), createdAt: new Date(T0 + 123) };
    const decoded = decodeOrderCursor(encodeOrderCursor(order));
    expect(decoded.createdAt.getTime()).toBe(T0 + 123);
    expect(decoded.id.equals(order._id)).toBe(true);
  });

  it.each([
    ['text', 'bogus'],
    ['a generic cursor', encodeCursor(new Types.ObjectId())],
    ['a negative time', Buffer.from(`o:-5:${String(new Types.ObjectId())}`).toString('base64url')],
    ['a short id', Buffer.from(`o:5:${'a'.repeat(23)}`).toString('base64url')],
  ])('refuses %s naming `after`', (_label, cursor) => {
    try {
      decodeOrderCursor(cursor);
      throw new Error('expected decodeOrderCursor to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it('differs for the same id at another time', () => {
    const _id = new Types.ObjectId();
    expect(encodeOrderCursor({ _id, createdAt: new Date(T0) })).not.toBe(encodeOrderCursor({ _id, createdAt: new Date(T0 + 1) }));
  });
});

describe('createOrdersByUserLoader', () => {
  it('lists a user’s orders newest first, hiding pending ones from the list and the count', async () => {
    const user = new Types.ObjectId();
    const docs = await seed(user, [{ at: 1000 }, { at: 3000 }, { at: 2000, status: 'PENDING' }, { at: 4000, status: 'CANCELLED' }]);
    const page = await createOrdersByUserLoader(orders).load({ userId: String(user) });
    const visible = docs.filter((d) => d.status !== 'PENDING');
    expect(ids(page)).toEqual(newestFirst(visible));
    expect(page.totalCount).toBe(3);
    expect(page.pageInfo).toEqual({ hasNextPage: false, endCursor: encodeOrderCursor(page.edges[2].node) });
    expect(page.edges[0].cursor).toBe(encodeOrderCursor(page.edges[0].node));
  });

  it('pages through every order exactly once, including orders created in the same millisecond', async () => {
    const user = new Types.ObjectId();
    const docs = await seed(user, [{ at: 5 }, { at: 5 }, { at: 5 }, { at: 9 }, { at: 1 }, { at: 5 }, { at: 1 }]);
    const { ids: seen, pages } = await walk(String(user), 2);
    expect(seen).toEqual(newestFirst(docs));
    expect(pages.map((p) => p.edges.length)).toEqual([2, 2, 2, 1]);
    expect(pages.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, true, false]);
    expect(pages.every((p) => p.totalCount === 7)).toBe(true);
  });

  it('defaults to 20 per page', async () => {
    const user = new Types.ObjectId();
    await seed(
      user,
      Array.from({ length: 21 }, (_, i) => ({ at: i })),
    );
    const page = await createOrdersByUserLoader(orders).load({ userId: String(user) });
    expect(page.edges).toHaveLength(20);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.totalCount).toBe(21);
  });

  it('returns an empty page for a user without orders', async () => {
    const page = await createOrdersByUserLoader(orders).load({ userId: String(new Types.ObjectId()), first: 5 });
    expect(page).toEqual({ edges: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 });
  });

  it('batches users asking for the same page into one find and one count', async () => {
    const users = [new Types.ObjectId(), new Types.ObjectId(), new Types.ObjectId()];
    const seeded = [
      await seed(users[0], [{ at: 10 }, { at: 20 }, { at: 30 }]),
      await seed(users[1], [{ at: 15 }]),
      await seed(users[2], [{ at: 11 }, { at: 12 }, { at: 13 }, { at: 14 }]),
    ];
    commands = [];
    const loader = createOrdersByUserLoader(orders);
    const pages = await Promise.all(users.map((u) => loader.load({ userId: String(u), first: 2 })));
    expect(
      commands
        .filter((c) => c.collection === 'orders')
        .map((c) => c.name)
        .sort(),
    ).toEqual(['aggregate', 'find']);

    // Each user still gets their own page, cut to size.
    pages.forEach((page, i) => {
      expect(ids(page)).toEqual(newestFirst(seeded[i]).slice(0, 2));
      expect(page.totalCount).toBe(seeded[i].length);
      expect(page.pageInfo.hasNextPage).toBe(seeded[i].length > 2);
    });
  });

  it('keeps different page arguments apart within one batch', async () => {
    const user = new Types.ObjectId();
    const docs = await seed(user, [{ at: 1 }, { at: 2 }, { at: 3 }, { at: 4 }]);
    const order = newestFirst(docs);
    const loader = createOrdersByUserLoader(orders);
    const firstPage = await loader.load({ userId: String(user), first: 2 });
    const [one, rest] = await Promise.all([
      loader.load({ userId: String(user), first: 1 }),
      loader.load({ userId: String(user), first: 10, after: firstPage.pageInfo.endCursor }),
    ]);
    expect(ids(one)).toEqual(order.slice(0, 1));
    expect(ids(rest)).toEqual(order.slice(2));
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect(rest.totalCount).toBe(4);
  });

  it('refuses a cursor it did not issue, naming `after`', async () => {
    const loader = createOrdersByUserLoader(orders);
    for (const after of ['bogus', encodeCursor(new Types.ObjectId())]) {
      const error = await loader.load({ userId: String(new Types.ObjectId()), after }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });

  it('refuses a page size over 100', async () => {
    const error = await createOrdersByUserLoader(orders)
      .load({ userId: String(new Types.ObjectId()), first: 101 })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((error as GraphQLError).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});
