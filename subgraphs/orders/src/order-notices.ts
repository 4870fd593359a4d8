import { isNotifiedStatus, orderNoticeId, ORDER_STATUS_JOB, QUEUES, type JobQueues, type OrderStatusNotice } from '@supergraph/jobs';
import type { OutboxEntry, RelayHook } from '@supergraph/subgraph-kit';
import { orderInStatusEvent } from './status-events.js';

/**
 * The outbox relay hook that hands each customer-facing status change to the worker as a notice
 * job: run before the status event counts as sent, so an order that changed status always gets its
 * notice, even when Redis was away at the time (the entry waits and is retried). The job id is the
 * order and status, so relaying an entry twice enqueues one notice.
 */
export function orderNoticeHook(jobs: JobQueues): RelayHook {
  return async (entry: OutboxEntry) => {
    const order = orderInStatusEvent(entry);
    if (!order || !isNotifiedStatus(order.status) || typeof order.userId !== 'string') return;
    const notice: OrderStatusNotice = { orderId: order._id, userId: order.userId, status: order.status };
    await jobs.enqueue(QUEUES.notifications, ORDER_STATUS_JOB, orderNoticeId(notice.orderId, notice.status), notice);
  };
}
