import { jobId } from './job-ids.js';

/** The order statuses a customer is told about, by SMS when they have a phone number. */
export const NOTIFIED_STATUSES = ['CONFIRMED', 'SHIPPED', 'DELIVERED', 'CANCELLED'] as const;
export type NotifiedStatus = (typeof NOTIFIED_STATUSES)[number];

/** A job telling a customer that their order moved to `status`. */
export interface OrderStatusNotice {
  orderId: string;
  userId: string;
  status: NotifiedStatus;
}

export const ORDER_STATUS_JOB = 'order-status';

/** One notice per order and status: relaying the same change twice enqueues it once. */
export const orderNoticeId = (orderId: string, status: NotifiedStatus): string => jobId(ORDER_STATUS_JOB, orderId, status);

/**
 * The notices that, when they exist, must go out before a notice for `status`: an order moves
 * forward only (CONFIRMED → SHIPPED → DELIVERED, or CONFIRMED → CANCELLED), possibly skipping steps,
 * so these are the earlier statuses it may have passed through.
 */
export const EARLIER_NOTICES: Record<NotifiedStatus, NotifiedStatus[]> = {
  CONFIRMED: [],
  SHIPPED: ['CONFIRMED'],
  DELIVERED: ['CONFIRMED', 'SHIPPED'],
  CANCELLED: ['CONFIRMED'],
};

export function isNotifiedStatus(status: unknown): status is NotifiedStatus {
  return (NOTIFIED_STATUSES as readonly unknown[]).includes(status);
}
