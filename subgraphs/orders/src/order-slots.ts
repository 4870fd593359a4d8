import type { GraphQLError } from 'graphql';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { appError, ErrorCode, readWholeNumber, type Env, type Logger } from '@supergraph/runtime';
import { isDuplicateKeyError } from '@supergraph/subgraph-kit';
import { CANCELLABLE_STATUSES, type OrderModel, type StoredStatus } from './model.js';

/**
 * The cap on how many orders one customer may have open at once, so a free account cannot hoard
 * stock during a sale by placing order after order (security issue).
 *
 * An order holds one of its customer's slots while it holds stock the customer could still give
 * back: from the moment it is written as PENDING (stock being reserved), through PLACED and
 * CONFIRMED. CONFIRMED keeps the slot because the stock stays reserved and the customer can still
 * cancel. The slot is given back when:
 * - placing the order fails after the PENDING write: the cap refused it, stock ran out, or anything
 *   else went wrong (place-order.ts, where the order is marked FAILED), or the sweeper fails it;
 * - the order is cancelled (cancelOrder), or ships or is delivered (updateOrderStatus), in
 *   order-status.ts.
 * The cap applies to whoever places the order, admins included: placeOrder always orders for the
 * caller, and no account needs more open orders than an operator can configure.
 *
 * Atomicity: each customer has one ledger document listing the ids of the orders holding a slot.
 * Taking a slot is one conditional update of that one document,
 *   filter { _id: userId, orders: { $ne: orderId }, 'orders.<max-1>': { $exists: false } },
 *   update { $push: { orders: orderId } },
 * which MongoDB applies atomically: however many placements race, at most `max` ids get in.
 * Giving a slot back is a $pull of the order's id, harmless when repeated.
 *
 * Crashes: the order and the ledger are two documents written one after the other (no
 * transactions), so a process can die in between. Naming the holders is what lets that heal:
 * - an order is written before its id enters the ledger, so the ledger never names an order that
 *   does not exist yet;
 * - an id whose order is gone (a failed placement deleted it) or closed (SHIPPED, DELIVERED,
 *   CANCELLED) can never hold stock again: orders never reopen and ids are never reused;
 * - so when a customer finds the ledger full, the ids whose orders are gone or closed are dropped
 *   and the slot is tried once more (dropStale). That is safe at any time, from any instance,
 *   alongside anything else, since it only removes ids that can never come back.
 * A missed release thus costs nothing until the customer reaches the cap, and is repaired then.
 * A PENDING order left behind by a crash keeps its slot, as it keeps its stock, until the
 * pending-order sweeper fails it and gives both back (order-lifecycle.ts).
 */
export interface OrderSlots {
  /** The most orders one customer may have holding a slot. */
  readonly max: number;
  /** Takes a slot for an order already written as PENDING; throws LIMIT_REACHED when the customer has none left. */
  take(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<void>;
  /** Gives an order's slot back. Never throws: a release that fails is logged and repaired by dropStale. */
  release(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<void>;
}

/** Statuses that hold a slot: the order has, or is about to have, stock the customer can give back. */
export const SLOT_HOLDING_STATUSES: readonly StoredStatus[] = ['PENDING', 'FAILING', ...CANCELLABLE_STATUSES];

export const DEFAULT_MAX_PLACED_PER_CUSTOMER = 20;
/** The ledger keeps one id per open order in one document; 1,000 ids are about 17 KB. */
const HIGHEST_MAX = 1_000;

/** ORDERS_MAX_PLACED_PER_CUSTOMER, read once at start-up; a malformed value stops the service. */
export function readMaxPlacedPerCustomer(env: Env): number {
  return readWholeNumber(env, 'ORDERS_MAX_PLACED_PER_CUSTOMER', DEFAULT_MAX_PLACED_PER_CUSTOMER, 1, HIGHEST_MAX);
}

export function limitReached(max: number): GraphQLError {
  return appError(
    ErrorCode.LimitReached,
    `You already have ${max} orders placed and not yet shipped or cancelled, the most one account may have at once; ` +
      'cancel one of them or wait until one ships, then place this order again',
    { max },
  );
}

interface SlotLedgerDoc {
  /** The customer's user id. */
  _id: Types.ObjectId;
  /** Orders holding a slot, oldest first. */
  orders: Types.ObjectId[];
}

const ledgerSchema = new Schema<SlotLedgerDoc>(
  { _id: { type: Schema.Types.ObjectId, required: true }, orders: { type: [Schema.Types.ObjectId], required: true } },
  { collection: 'order_slots', versionKey: false },
);

export type SlotLedgerModel = Model<SlotLedgerDoc>;

export function registerSlotLedgerModel(connection: Connection): SlotLedgerModel {
  return connection.model<SlotLedgerDoc>('OrderSlots', ledgerSchema);
}

export function createOrderSlots(ledgers: SlotLedgerModel, orders: OrderModel, max: number, logger: Logger): OrderSlots {
  const holds = (ids: Types.ObjectId[], id: Types.ObjectId) => ids.some((held) => held.equals(id));

  async function push(userId: Types.ObjectId, orderId: Types.ObjectId): Promise<boolean> {
    const result = await ledgers.updateOne(
      { _id: userId, orders: { $ne: orderId }, [`orders.${max - 1}`]: { $exists: false } },
      { $push: { orders: orderId } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * A customer's first ledger starts with their PLACED and CONFIRMED orders, so orders from before
   * the cap existed count too. PENDING ones are left out: each placement in flight adds itself,
   * and must be counted against the cap rather than find itself already in.
   */
  async function createLedger(userId: Types.ObjectId): Promise<void> {
    const open = await orders.find({ userId, status: { $in: CANCELLABLE_STATUSES } }, { _id: 1 }).lean<{ _id: Types.ObjectId }[]>();
    try {
      await ledgers.create({ _id: userId, orders: open.map((order) => order._id) });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error; // another placement created it first: use theirs
    }
  }

  /** Drops ids whose orders no longer hold stock (a release that never happened); see above why that is safe. */
  async function dropStale(userId: Types.ObjectId, held: Types.ObjectId[]): Promise<void> {
    const live = await orders
      .find({ _id: { $in: held }, status: { $in: SLOT_HOLDING_STATUSES } }, { _id: 1 })
      .lean<{ _id: Types.ObjectId }[]>();
    const liveIds = new Set(live.map((order) => String(order._id)));
    const stale = held.filter((id) => !liveIds.has(String(id)));
    if (stale.length === 0) return;
    await ledgers.updateOne({ _id: userId }, { $pullAll: { orders: stale } });
    logger.warn('gave back order slots whose release was missed', { userId: String(userId), orders: stale.map(String) });
  }

  return {
    max,
    async take(userId, orderId) {
      let reconciled = false;
      for (;;) {
        if (await push(userId, orderId)) return;
        const ledger = await ledgers.findById(userId).lean<SlotLedgerDoc>();
        if (!ledger) {
          await createLedger(userId);
          continue;
        }
        if (holds(ledger.orders, orderId)) return; // a retried write that had already gone through
        if (reconciled) throw limitReached(max);
        reconciled = true;
        await dropStale(userId, ledger.orders);
      }
    },
    async release(userId, orderId) {
      try {
        await ledgers.updateOne({ _id: userId }, { $pull: { orders: orderId } });
      } catch (error) {
        logger.warn('could not give an order slot back; it is reclaimed when the customer next reaches the cap', {
          userId: String(userId),
          orderId: String(orderId),
          error,
        });
      }
    },
  };
}
