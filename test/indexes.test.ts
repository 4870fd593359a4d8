import mongoose, { type Schema } from 'mongoose';
import { describe, expect, it } from 'vitest';
import { outboxSchema } from '@supergraph/subgraph-kit';
import { registerProductModel } from '../subgraphs/catalog/src/model.js';
import { registerReservationModel } from '../subgraphs/catalog/src/reservation-model.js';
import { registerOrderModel } from '../subgraphs/orders/src/model.js';
import { registerUserModel } from '../subgraphs/users/src/model.js';
import { registerSessionModel } from '../subgraphs/users/src/sessions.js';

// Every query shape the services run has an index that serves it: its equality fields first, then
// the field it sorts or ranges on. The shapes are the filters in the code (named beside each);
// removing or reordering an index that serves one fails here. Listing search (an unanchored,
// case-insensitive regex on the name) is the one read no ordinary index can serve: it is filtered
// after the category index and capped by the page size.

interface Shape {
  /** Where the code runs it. */
  where: string;
  equal: string[];
  /** The sort or range field that follows the equality fields, if any. */
  then?: string;
}

// A model registered on a connection that never connects: its schema's indexes are all we read.
const offline = mongoose.createConnection();
const schemas: Record<string, Schema> = {
  products: registerProductModel(offline).schema,
  reservations: registerReservationModel(offline).schema,
  orders: registerOrderModel(offline).schema,
  users: registerUserModel(offline).schema,
  sessions: registerSessionModel(offline).schema,
  outbox: outboxSchema,
};

const shapes: Record<string, Shape[]> = {
  products: [
    { where: 'catalog resolvers: products(category), paged by _id', equal: ['category'], then: '_id' },
    { where: 'catalog createProduct: unique SKU', equal: ['sku'] },
  ],
  reservations: [{ where: 'Reservations.settle', equal: ['settled'], then: 'updatedAt' }],
  orders: [
    { where: 'user-orders: a user’s orders, newest first', equal: ['userId'], then: 'createdAt' },
    { where: 'placeOrder: the idempotency key', equal: ['userId', 'idempotencyKey'] },
    { where: 'PendingSweeper: stale PENDING, FAILING, CANCELLED', equal: ['status'], then: 'updatedAt' },
    { where: 'PendingSweeper: stock commits still due', equal: ['stockCommitDue'] },
  ],
  users: [{ where: 'users logIn / signUp / admin: by email', equal: ['email'] }],
  sessions: [{ where: 'sessions: a user’s sessions (log out everywhere, role change)', equal: ['userId'] }],
  outbox: [
    { where: 'OutboxRelay: unsent entries, oldest first; pruning sent ones', equal: ['sentAt'], then: 'createdAt' },
    { where: 'event catch-up: a channel since a time', equal: ['channel'], then: 'createdAt' },
  ],
};

/** Whether an index's leading keys are the shape's equality fields (any order), then its sort/range field. */
function serves(keys: string[], shape: Shape): boolean {
  const lead = keys.slice(0, shape.equal.length);
  if (lead.length !== shape.equal.length || !shape.equal.every((field) => lead.includes(field))) return false;
  return shape.then === undefined || keys[shape.equal.length] === shape.then;
}

describe('every query shape has an index', () => {
  for (const [collection, list] of Object.entries(shapes)) {
    for (const shape of list) {
      it(`${collection}: ${shape.where}`, () => {
        const indexes = schemas[collection].indexes().map(([fields]) => Object.keys(fields));
        expect(
          indexes.some((keys) => serves(keys, shape)),
          `indexes: ${JSON.stringify(indexes)}`,
        ).toBe(true);
      });
    }
  }

  it('the check itself fails for a shape no index serves', () => {
    const indexes = schemas.orders.indexes().map(([fields]) => Object.keys(fields));
    expect(indexes.some((keys) => serves(keys, { where: 'none', equal: ['totalPaise'], then: 'createdAt' }))).toBe(false);
    expect(indexes.some((keys) => serves(keys, { where: 'wrong order', equal: ['createdAt'], then: 'userId' }))).toBe(false);
  });
});
