import type { Types } from 'mongoose';
import { appError, badInput, conflict, ErrorCode, notFound } from '@supergraph/runtime';
import { requireSelfOrAdmin, type AuthState } from '@supergraph/auth';
import { channels, parseObjectId, ServiceCallError } from '@supergraph/subgraph-kit';
import type { OrdersServices } from './context.js';
import { CANCELLABLE_STATUSES, FORWARD_STATUSES, VISIBLE_ORDERS, type OrderDoc, type PublicStatus } from './model.js';
import { SLOT_HOLDING_STATUSES } from './order-slots.js';

async function publishStatus(services: OrdersServices, order: OrderDoc): Promise<void> {
  await services.events.publish(channels.orderStatusChanged(String(order._id)), order);
}

/** Moves an order forward (never back, never to CANCELLED: that is cancelOrder). Admin check is the caller's. */
export async function updateOrderStatus(services: OrdersServices, id: string, status: PublicStatus): Promise<OrderDoc> {
  const orderId = parseObjectId(id);
  const target = FORWARD_STATUSES.indexOf(status as (typeof FORWARD_STATUSES)[number]);
  if (target < 0) throw badInput('status', `use cancelOrder to cancel; updateOrderStatus moves along ${FORWARD_STATUSES.join(' → ')}`);
  if (target === 0) throw badInput('status', 'an order cannot be moved back to PLACED');
  const earlier = FORWARD_STATUSES.slice(0, target);
  // The status filter makes the check and the move one atomic step.
  const updated = await moveForward(services, orderId, earlier, status);
  if (updated) {
    // Shipped or delivered: the customer can no longer give its stock back, so it stops counting
    // against their cap on open orders. CONFIRMED still counts.
    if (!SLOT_HOLDING_STATUSES.includes(updated.status)) await services.slots.release(updated.userId, updated._id);
    await publishStatus(services, updated);
    return updated;
  }
  const current = await services.orders.findOne({ _id: orderId, ...VISIBLE_ORDERS }, { status: 1 }).lean<OrderDoc>();
  if (!current) throw notFound('Order', id);
  throw badInput(
    'status',
    `cannot move an order from ${current.status} to ${status}; only forward moves along ${FORWARD_STATUSES.join(' → ')}`,
  );
}

/**
 * Moves the order forward in one conditional write (the status filter makes the check and the move
 * one atomic step). The first move past PLACED (to CONFIRMED, or straight to SHIPPED or DELIVERED)
 * makes the order owe its tax invoice in that same write, so no sold order is ever without one; a
 * later move leaves the invoice as it is. Which write applies is guessed from the target and the
 * other one tried when the guess was wrong (or a concurrent confirmation landed in between).
 */
async function moveForward(
  services: OrdersServices,
  orderId: Types.ObjectId,
  earlier: PublicStatus[],
  status: PublicStatus,
): Promise<OrderDoc | null> {
  const guesses = status === 'CONFIRMED' ? [false, true] : [true, false];
  for (const invoiced of guesses) {
    const updated = await services.orders
      .findOneAndUpdate(
        { _id: orderId, status: { $in: earlier }, invoice: { $exists: invoiced } },
        { $set: { status, ...(invoiced ? {} : { invoice: { status: 'PENDING' } }) } },
        { new: true },
      )
      .lean<OrderDoc>();
    if (updated) return updated;
  }
  return null;
}

/** Cancels an order before it ships and gives its stock back to the catalog. */
export async function cancelOrder(services: OrdersServices, auth: AuthState, id: string): Promise<OrderDoc> {
  const orderId = parseObjectId(id);
  const existing = await services.orders.findOne({ _id: orderId, ...VISIBLE_ORDERS }).lean<OrderDoc>();
  if (!existing) throw notFound('Order', id);
  requireSelfOrAdmin(auth, String(existing.userId), 'orders');

  const cancelled = await cancelIfCancellable(services, orderId, existing.invoice !== undefined);
  if (cancelled) {
    await publishStatus(services, cancelled);
    // Only the caller that made the cancellation gives the units back, so a retry cannot add more.
    await services.units.giveBack(
      cancelled.userId,
      cancelled.items.reduce((sum, item) => sum + item.quantity, 0),
    );
  } else {
    const current = await services.orders.findById(orderId).lean<OrderDoc>();
    // A cancellation whose stock return failed earlier is finished by the retry.
    if (current?.status !== 'CANCELLED' || !owesStock(current)) {
      throw conflict(`The order is ${current?.status ?? 'gone'} and cannot be cancelled; only PLACED or CONFIRMED orders can`);
    }
  }
  // Every caller that gets here gives the slot back (a repeat is harmless), so a retried
  // cancellation also repairs a release a crash cut off.
  await services.slots.release(existing.userId, orderId);
  return finishStockReturn(services, orderId);
}

/**
 * Cancels a PLACED or CONFIRMED order in one conditional write. An order that owes an invoice (it
 * was confirmed) owes a credit note from the same write. Which of the two writes applies is guessed
 * from the order as read; when a confirmation lands in between, the other write is tried.
 */
async function cancelIfCancellable(services: OrdersServices, orderId: Types.ObjectId, invoiced: boolean): Promise<OrderDoc | null> {
  for (const owesCreditNote of [invoiced, !invoiced, invoiced]) {
    const cancelled = await services.orders
      .findOneAndUpdate(
        { _id: orderId, status: { $in: CANCELLABLE_STATUSES }, invoice: { $exists: owesCreditNote } },
        { $set: { status: 'CANCELLED', stockReturn: 'DUE', ...(owesCreditNote ? { creditNote: { status: 'PENDING' } } : {}) } },
        { new: true },
      )
      .lean<OrderDoc>();
    if (cancelled) return cancelled;
  }
  return null;
}

const owesStock = (order: OrderDoc) => order.stockReturn === 'DUE' || order.stockReturn === 'RETURNING';

/**
 * Returns a cancelled order's stock. The catalog's release is idempotent per order (it gives back
 * what the order's reservation holds, once), so every caller may ask for it: a retried cancel, a
 * simultaneous one, or the sweeper finishing a cancellation whose process died. Until the catalog
 * confirms it, the order stays DUE.
 */
export async function finishStockReturn(services: OrdersServices, orderId: Types.ObjectId): Promise<OrderDoc> {
  try {
    await services.catalog.release(String(orderId));
  } catch (error) {
    services.logger.error('stock return failed after cancellation; cancelOrder can be retried and the sweeper retries it', {
      orderId: String(orderId),
      error,
    });
    // The cancellation stands; only the catalog did not answer. Say so, and that retrying is safe.
    if (error instanceof ServiceCallError) {
      throw appError(
        ErrorCode.ServiceUnavailable,
        'The order is cancelled, but its stock could not be returned to the catalog yet; it will be. Retrying cancelOrder is safe.',
      );
    }
    throw error;
  }
  return (await services.orders
    .findOneAndUpdate({ _id: orderId, status: 'CANCELLED' }, { $set: { stockReturn: 'DONE' } }, { new: true })
    .lean<OrderDoc>())!;
}
