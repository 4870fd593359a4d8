import type { OrdersServices } from './context.js';
import type { OrderDoc } from './model.js';

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
