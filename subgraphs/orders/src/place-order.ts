import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import { badInput, conflict } from '@supergraph/runtime';
import { type Viewer } from '@supergraph/auth';
import { channels, isDuplicateKeyError } from '@supergraph/subgraph-kit';
import type { OrdersServices } from './context.js';
import type { PlaceOrderInput } from './generated/resolvers-types.js';
import type { OrderDoc } from './model.js';
import { hashLines, MAX_TOTAL_PAISE, normaliseItems, validateIdempotencyKey } from './validation.js';

/** How long a retry waits for the first attempt with the same key to finish. */
const IN_FLIGHT_WAIT_MS = 15_000;
const POLL_MS = 50;

/**
 * Places an order in four steps, each safe to fail:
 * 1. insert a PENDING order; the unique (userId, idempotencyKey) index makes a
 *    retry find the first attempt instead of reserving again;
 * 2. take one of the customer's open-order slots (order-slots.ts), or fail with
 *    LIMIT_REACHED before any stock is touched, and the order's units from the
 *    customer's daily budget (unit-budget.ts), or fail with RATE_LIMITED;
 * 3. ask the catalog to reserve every line at its current price (all or nothing);
 * 4. mark the order PLACED with those prices.
 * A failure after step 1 deletes the pending order and gives its slot back (and
 * after step 3 returns the stock), so a retry with the same key starts afresh.
 */
export async function placeOrder(services: OrdersServices, viewer: Viewer, input: PlaceOrderInput): Promise<OrderDoc> {
  const lines = normaliseItems(input.items);
  const key = validateIdempotencyKey(input.idempotencyKey) ?? `auto:${randomUUID()}`;
  const requestHash = hashLines(lines);
  const userId = new Types.ObjectId(viewer.id);

  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  for (;;) {
    let pending: OrderDoc;
    try {
      pending = (
        await services.orders.create({
          userId,
          items: lines.map((l) => ({ productId: new Types.ObjectId(l.productId), quantity: l.quantity, unitPricePaise: 0 })),
          totalPaise: 0,
          status: 'PENDING',
          idempotencyKey: key,
          requestHash,
        })
      ).toObject();
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
      const existing = await services.orders.findOne({ userId, idempotencyKey: key }).lean<OrderDoc>();
      if (!existing) continue; // the first attempt failed and was removed just now: try again
      if (existing.requestHash !== requestHash) {
        throw conflict('idempotencyKey: this key was already used for a different order; use a new key for a new order');
      }
      if (existing.status !== 'PENDING') return existing;
      if (Date.now() > deadline) {
        throw conflict('idempotencyKey: an order with this key is still being placed; retry in a few seconds');
      }
      await sleep(POLL_MS);
      continue;
    }
    return completeOrder(services, pending, lines);
  }
}

async function completeOrder(
  services: OrdersServices,
  pending: OrderDoc,
  lines: { productId: string; quantity: number }[],
): Promise<OrderDoc> {
  const orderId = String(pending._id);
  try {
    await services.slots.take(pending.userId, pending._id);
  } catch (error) {
    await abandon(services, pending);
    throw error;
  }
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  try {
    await services.units.take(pending.userId, units);
  } catch (error) {
    await abandon(services, pending);
    throw error;
  }
  let reserved;
  try {
    reserved = await services.catalog.reserve(orderId, lines);
  } catch (error) {
    await abandon(services, pending, units);
    throw error;
  }
  try {
    const items = reserved.map((line) => ({
      productId: new Types.ObjectId(line.productId),
      quantity: line.quantity,
      unitPricePaise: line.unitPricePaise,
    }));
    const totalPaise = items.reduce((sum, item) => sum + item.quantity * item.unitPricePaise, 0);
    if (totalPaise > MAX_TOTAL_PAISE)
      throw badInput('items', `the order total may be at most ${MAX_TOTAL_PAISE} paise; split it into smaller orders`);
    const placed = await services.orders
      .findOneAndUpdate({ _id: pending._id, status: 'PENDING' }, { $set: { items, totalPaise, status: 'PLACED' } }, { new: true })
      .lean<OrderDoc>();
    if (!placed) throw new Error(`pending order ${orderId} disappeared while being placed`);
    services.logger.info('order placed', { orderId, userId: String(placed.userId), totalPaise, lines: items.length });
    await services.events.publish(channels.orderPlaced(), placed);
    return placed;
  } catch (error) {
    await services.catalog.release(orderId, lines);
    await abandon(services, pending, units);
    throw error;
  }
}

/**
 * Deletes a pending order whose placement failed, then gives its slot back. Deleting first keeps
 * the slot ledger naming every live order (a crash in between leaves an id dropStale removes).
 * An order no longer PENDING (already PLACED) keeps its slot.
 */
async function abandon(services: OrdersServices, pending: OrderDoc, unitsTaken = 0): Promise<void> {
  const { deletedCount } = await services.orders.deleteOne({ _id: pending._id, status: 'PENDING' });
  if (deletedCount !== 1) return;
  await services.slots.release(pending.userId, pending._id);
  if (unitsTaken > 0) await services.units.giveBack(pending.userId, unitsTaken);
}
