import type { Queue } from 'bullmq';
import {
  DelayedError,
  EARLIER_NOTICES,
  NOTIFIED_STATUSES,
  orderNoticeId,
  type Job,
  type NotifiedStatus,
  type OrderStatusNotice,
} from '@supergraph/jobs';
import type { SentMarks } from './sent-marks.js';
import type { SmsStats } from './sms-processor.js';
import type { SmsTransport } from './sms-transport.js';
import type { UsersClient } from './users-client.js';

/** How long a notice waits before looking again at an earlier notice of its order that has not gone out yet. */
const WAIT_FOR_EARLIER_MS = 500;

const WORDING: Record<NotifiedStatus, string> = {
  CONFIRMED: 'is confirmed and being packed',
  SHIPPED: 'has shipped',
  DELIVERED: 'was delivered. Thank you for shopping with us',
  CANCELLED: 'was cancelled',
};

export function noticeText(notice: OrderStatusNotice): string {
  // The order's last six characters: enough for the customer to tell orders apart, and no number a log scrubber mistakes for a phone.
  return `BharatMart: your order ...${notice.orderId.slice(-6).toUpperCase()} ${WORDING[notice.status]}.`;
}

/**
 * Tells a customer their order moved on, by SMS when they have a phone number. Notices of one order
 * go out in status order even when an earlier one is being retried: a notice whose earlier notice
 * is still waiting, running or retrying goes back to the delayed set (not counted as an attempt)
 * and looks again shortly. An earlier notice that failed for good holds nothing up. A notice that
 * arrives after a later one already went out (two orders instances, one relaying late after a
 * crash) is dropped as stale rather than sent out of order.
 */
export function noticeProcessor(deps: { queue: Queue; users: UsersClient; transport: SmsTransport; marks: SentMarks; stats: SmsStats }) {
  return async (job: Job<OrderStatusNotice>, token?: string): Promise<string> => {
    const notice = job.data;
    for (const earlier of EARLIER_NOTICES[notice.status]) {
      const state = await deps.queue.getJobState(orderNoticeId(notice.orderId, earlier));
      // 'unknown': never enqueued (the order skipped that status) or long since removed.
      if (state !== 'completed' && state !== 'failed' && state !== 'unknown') {
        await job.moveToDelayed(Date.now() + WAIT_FOR_EARLIER_MS, token);
        throw new DelayedError();
      }
    }
    const later = NOTIFIED_STATUSES.filter((status) => EARLIER_NOTICES[status].includes(notice.status));
    for (const status of later) {
      if ((await deps.queue.getJobState(orderNoticeId(notice.orderId, status))) === 'completed') return 'superseded';
    }
    const key = job.id;
    if (!key) throw new Error('a notice job needs an id: it is the idempotency key');
    if (await deps.marks.has(key)) {
      deps.stats.skipped++;
      return 'already sent';
    }
    const contact = await deps.users.contactOf(notice.userId);
    if (!contact?.phone) return 'no phone number';
    await deps.transport.send({ to: contact.phone, message: noticeText(notice), idempotencyKey: key });
    await deps.marks.mark(key);
    deps.stats.sent.set(job.name, (deps.stats.sent.get(job.name) ?? 0) + 1);
    return 'sent';
  };
}
