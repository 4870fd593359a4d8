import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import { badInput } from '@supergraph/runtime';
import { parsePageArgs, recordBatch, toConnection, type RelayConnection } from '@supergraph/subgraph-kit';
import { ORDER_FIELDS, VISIBLE_ORDERS, type OrderDoc, type OrderModel } from './model.js';

export interface OrdersPageKey {
  userId: string;
  first?: number | null;
  after?: string | null;
}

export type OrdersPage = RelayConnection<OrderDoc>;

// Orders are listed newest first, so the cursor carries createdAt and _id.
export function encodeOrderCursor(order: Pick<OrderDoc, '_id' | 'createdAt'>): string {
  return Buffer.from(`o:${order.createdAt.getTime()}:${String(order._id)}`).toString('base64url');
}

export function decodeOrderCursor(cursor: string): { createdAt: Date; id: Types.ObjectId } {
  const match = /^o:(\d+):([0-9a-f]{24})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw badInput('after', 'not a cursor this API issued; pass pageInfo.endCursor from a previous page');
  return { createdAt: new Date(Number(match[1])), id: new Types.ObjectId(match[2]) };
}

function afterFilter(after: string | null | undefined): Record<string, unknown> {
  if (!after) return {};
  const { createdAt, id } = decodeOrderCursor(after);
  return { $or: [{ createdAt: { $lt: createdAt } }, { createdAt, _id: { $lt: id } }] };
}

const NEWEST_FIRST = { createdAt: -1, _id: -1 } as const;

/**
 * Pages of orders per user, batched: each group of keys with the same page
 * arguments costs one find and one count aggregation, however many users.
 */
export function createOrdersByUserLoader(orders: OrderModel): DataLoader<OrdersPageKey, OrdersPage, string> {
  return new DataLoader<OrdersPageKey, OrdersPage, string>(
    async (keys) => {
      recordBatch(orders, 'ordersByUser', keys.length);
      const groups = new Map<string, OrdersPageKey[]>();
      for (const key of keys) {
        const groupKey = `${key.first ?? ''}|${key.after ?? ''}`;
        groups.set(groupKey, [...(groups.get(groupKey) ?? []), key]);
      }
      const results = new Map<string, OrdersPage>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { first } = parsePageArgs({ first: group[0].first });
          const userIds = [...new Set(group.map((k) => k.userId))].map((id) => new Types.ObjectId(id));
          const filter = { ...VISIBLE_ORDERS, userId: { $in: userIds } };
          const query = orders.find({ ...filter, ...afterFilter(group[0].after) }, ORDER_FIELDS).sort(NEWEST_FIRST);
          // With one user the page can be cut in the database; with several it is cut per user below.
          // The batch size one above the limit lets the local FerretDB close the cursor with its first
          // answer (at exactly 101 it kept it open and the driver sent killCursors).
          if (userIds.length === 1) query.limit(first + 1).batchSize(first + 2);
          const [rows, counts] = await Promise.all([
            query.lean<OrderDoc[]>(),
            orders.aggregate<{ _id: Types.ObjectId; count: number }>([
              { $match: filter },
              { $group: { _id: '$userId', count: { $sum: 1 } } },
            ]),
          ]);
          const countByUser = new Map(counts.map((c) => [String(c._id), c.count]));
          const rowsByUser = new Map<string, OrderDoc[]>();
          for (const row of rows) {
            const userId = String(row.userId);
            const list = rowsByUser.get(userId) ?? [];
            if (list.length <= first) list.push(row);
            rowsByUser.set(userId, list);
          }
          for (const key of group) {
            results.set(
              cacheKey(key),
              toConnection(rowsByUser.get(key.userId) ?? [], first, countByUser.get(key.userId) ?? 0, encodeOrderCursor),
            );
          }
        }),
      );
      return keys.map((key) => results.get(cacheKey(key))!);
    },
    { cacheKeyFn: cacheKey },
  );
}

function cacheKey(key: OrdersPageKey): string {
  return `${key.userId}|${key.first ?? ''}|${key.after ?? ''}`;
}
