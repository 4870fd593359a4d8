import type { FilterQuery } from 'mongoose';
import type { OrdersServices } from './context.js';
import type { OrderDoc } from './model.js';

/** How long a claim on an order being undone lasts: longer than a release with all its retries. */
export const UNDO_LEASE_MS = 30_000;

/**
 * Marks an order whose placement did not finish as FAILED, once its stock is known to be given
 * back (or never taken), and returns what it held of the customer's limits. Only the caller whose
 * conditional update makes the move gives the slot and units back, so two callers (the placing
 * request and a sweeper) cannot give them back twice. The client's idempotency key moves to
 * `failedKey`, so the same key can be used again for a new attempt; the order is kept for audit.
 */
export async function failOrder(services: Pick<OrdersServices, 'orders' | 'slots' | 'units' | 'logger'>, order: OrderDoc, reason: string) {
  const failed = await services.orders
    .findOneAndUpdate(
      { _id: order._id, status: { $in: ['PENDING', 'FAILING'] } },
      { $set: { status: 'FAILED', idempotencyKey: `failed:${String(order._id)}`, failedKey: order.idempotencyKey } },
      { new: true },
    )
    .lean<OrderDoc>();
  if (!failed) return;
  services.logger.info('order placement failed', { orderId: String(order._id), reason });
  await services.slots.release(failed.userId, failed._id);
  if (failed.unitsTaken) await services.units.giveBack(failed.userId, failed.unitsTaken);
}

/**
 * Undoes a placement that did not finish: claims the order (a conditional update to FAILING with
 * a lease, so one caller at a time works on it and a late placing request cannot mark it PLACED),
 * releases its reservation through the catalog's idempotent release, and fails it. Used by the
 * sweeper and by a client's retry that finds its last attempt waiting to be undone (so the retry
 * does not wait for the next sweep). Returns false when the order was not claimable (another caller
 * holds it, or it moved on); a release that fails gives the claim up at once and throws.
 */
export async function undoPlacement(
  services: Pick<OrdersServices, 'orders' | 'slots' | 'units' | 'logger' | 'catalog'>,
  orderId: OrderDoc['_id'],
  claimable: FilterQuery<OrderDoc>,
  { leaseMs = UNDO_LEASE_MS, releaseAttempts }: { leaseMs?: number; releaseAttempts?: number } = {},
): Promise<boolean> {
  const claimed = await services.orders
    .findOneAndUpdate(
      { _id: orderId, ...claimable },
      { $set: { status: 'FAILING', sweepLeaseUntil: new Date(Date.now() + leaseMs) } },
      { new: true },
    )
    .lean<OrderDoc>();
  if (!claimed) return false;
  try {
    await services.catalog.release(String(orderId), releaseAttempts ? { attempts: releaseAttempts } : {});
  } catch (error) {
    // Give the claim up, so the next try (a sweep here or elsewhere, or the client's retry) starts at
    // once; only this claim (its lease), not one another caller has taken since.
    await services.orders.updateOne(
      { _id: orderId, status: 'FAILING', sweepLeaseUntil: claimed.sweepLeaseUntil },
      { $set: { sweepLeaseUntil: new Date() } },
    );
    throw error;
  }
  await failOrder(services, claimed, 'its placement did not finish; its stock was released');
  return true;
}
