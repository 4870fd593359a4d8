import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Types } from 'mongoose';
import { appError, badInput, conflict, ErrorCode, isErrorCode, PASS_THROUGH_CODES, errorCodeOf } from '@supergraph/runtime';
import { type Viewer } from '@supergraph/auth';
import { channels, isDuplicateKeyError } from '@supergraph/subgraph-kit';
import type { OrdersServices } from './context.js';
import type { PlaceOrderInput } from './generated/resolvers-types.js';
import type { OrderDoc } from './model.js';
import { failOrder, undoPlacement } from './order-lifecycle.js';
import { hashLines, MAX_TOTAL_PAISE, normaliseItems, validateIdempotencyKey } from './validation.js';

/** How long a retry waits for the first attempt with the same key to finish. */
const IN_FLIGHT_WAIT_MS = 15_000;
const POLL_MS = 50;

/**
 * Places an order in steps, each safe to fail or to be cut short by a crash:
 * 1. insert a PENDING order; the unique (userId, idempotencyKey) index makes a
 *    retry find the first attempt instead of reserving again;
 * 2. take one of the customer's open-order slots (order-slots.ts), or fail with
 *    LIMIT_REACHED before any stock is touched, and the order's units from the
 *    customer's daily budget (unit-budget.ts), or fail with RATE_LIMITED;
 * 3. ask the catalog to reserve every line at its current price (all or nothing,
 *    idempotent per order id, so lost replies are simply retried);
 * 4. mark the order PLACED with those prices (only while still PENDING: a sweeper
 *    that gave up on it first wins), then tell the catalog the units are sold.
 * A placement that fails is released and marked FAILED (order-lifecycle.ts), which
 * frees the key for a retry; one whose release could not be confirmed is handed
 * to the sweeper at once, and one cut short by a crash stays PENDING until the
 * sweeper judges it stale (pending-sweeper.ts); either way the sweeper finishes it.
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
      if (!existing) continue; // the first attempt failed just now and freed the key: try again
      if (existing.requestHash !== requestHash) {
        throw conflict('idempotencyKey: this key was already used for a different order; use a new key for a new order');
      }
      if (existing.status === 'FAILING') {
        // Handed to the sweeper with no one working on it yet: undo it now (one release try, as the
        // client waits) rather than have the client wait for the next sweep.
        const undone = await undoPlacement(
          services,
          existing._id,
          { status: 'FAILING', sweepLeaseUntil: { $lt: new Date() } },
          { releaseAttempts: 1 },
        ).catch((error: unknown) => {
          services.logger.warn('could not undo the last attempt yet; the sweeper retries it', { orderId: String(existing._id), error });
          return false;
        });
        if (undone) continue;
        throw appError(ErrorCode.ServiceUnavailable, 'The last attempt with this idempotencyKey is being undone; retry in a few seconds');
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

/** The catalog's answer about the order itself (no stock, no such product): final, and nothing is held. */
const isFinalAnswer = (error: unknown) => {
  const code = errorCodeOf(error);
  return isErrorCode(code) && PASS_THROUGH_CODES.has(code);
};

const catalogUnavailable = () =>
  appError(
    ErrorCode.ServiceUnavailable,
    'The order could not be placed because stock could not be reserved right now; nothing was charged or held. Retry with the same idempotencyKey.',
  );

async function completeOrder(
  services: OrdersServices,
  pending: OrderDoc,
  lines: { productId: string; quantity: number }[],
): Promise<OrderDoc> {
  const orderId = String(pending._id);
  const units = lines.reduce((sum, line) => sum + line.quantity, 0);
  try {
    await services.slots.take(pending.userId, pending._id);
    await services.units.take(pending.userId, units);
  } catch (error) {
    await failOrder(services, pending, 'over a customer limit');
    throw error;
  }
  // Recorded before any stock is asked for, so whoever fails the order gives back what was taken.
  await services.orders.updateOne({ _id: pending._id, status: 'PENDING' }, { $set: { unitsTaken: units } });
  const taken = { ...pending, unitsTaken: units };

  let reserved;
  try {
    reserved = await services.catalog.reserve(orderId, lines);
  } catch (error) {
    if (isFinalAnswer(error)) {
      await failOrder(services, taken, `the catalog refused: ${errorCodeOf(error)}`);
      throw error;
    }
    services.logger.warn('stock reservation did not answer; releasing it', { orderId, error });
    await releaseAndFail(services, taken);
    throw catalogUnavailable();
  }

  const items = reserved.map((line) => ({
    productId: new Types.ObjectId(line.productId),
    quantity: line.quantity,
    unitPricePaise: line.unitPricePaise,
    // Kept with the order: its invoice shows what was sold, whatever the catalog says later.
    productName: line.name,
    gstRatePercent: line.gstRatePercent,
  }));
  const totalPaise = items.reduce((sum, item) => sum + item.quantity * item.unitPricePaise, 0);
  if (totalPaise > MAX_TOTAL_PAISE) {
    await releaseAndFail(services, taken);
    throw badInput('items', `the order total may be at most ${MAX_TOTAL_PAISE} paise; split it into smaller orders`);
  }
  const placed = await services.orders
    .findOneAndUpdate({ _id: pending._id, status: 'PENDING' }, { $set: { items, totalPaise, status: 'PLACED' } }, { new: true })
    .lean<OrderDoc>();
  // Only a sweeper that judged it stale gets here first; it releases the stock and fails the order.
  if (!placed) throw catalogUnavailable();
  services.logger.info('order placed', { orderId, userId: String(placed.userId), totalPaise, lines: items.length });
  // Recorded right after the write it describes, before anything that could wait on the network.
  await services.events.publish(channels.orderPlaced(), placed);
  // Marks the units as sold (one try, as the client is waiting). A reservation left HELD is still
  // returned exactly once by a cancellation; the sweeper commits it later (stockCommitDue).
  await services.catalog.commit(orderId).catch(async (error: unknown) => {
    services.logger.warn('stock commit failed; the sweeper retries it', { orderId, error });
    await services.orders.updateOne({ _id: pending._id }, { $set: { stockCommitDue: true } });
  });
  return placed;
}

/**
 * Releases the order's reservation (one try: the client is waiting) and fails the order. If the
 * release cannot be confirmed either, the order is handed to the sweeper at once (FAILING with a
 * lease already run out), which retries the release until the catalog confirms it.
 */
async function releaseAndFail(services: OrdersServices, order: OrderDoc): Promise<void> {
  try {
    await services.catalog.release(String(order._id), { attempts: 1 });
  } catch (error) {
    services.logger.warn('stock release did not answer; the pending-order sweeper will finish it', { orderId: String(order._id), error });
    await services.orders.updateOne({ _id: order._id, status: 'PENDING' }, { $set: { status: 'FAILING', sweepLeaseUntil: new Date() } });
    return;
  }
  await failOrder(services, order, 'stock reservation failed or was refused; released');
}
