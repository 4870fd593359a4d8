import { INVOICE_JOB, invoiceJobId, QUEUES, type InvoiceJob, type InvoiceJobKind, type JobQueues } from '@supergraph/jobs';
import type { OutboxEntry, RelayHook } from '@supergraph/subgraph-kit';
import { orderInStatusEvent } from './status-events.js';

/**
 * The outbox relay hook that hands an owed tax invoice or credit note to the worker: the status
 * write that makes one owed (confirmation; cancelling an invoiced order) sets it PENDING in the same
 * write, and the event carries the order as written. Run before the event counts as sent, so an
 * order that owes a document always gets its job, even when Redis was away at the time. The job id
 * is the order and document, so relaying twice (or a later status event while it is still PENDING)
 * enqueues one job, and issuing is idempotent should a second one ever run.
 */
export function invoiceJobHook(jobs: JobQueues): RelayHook {
  return async (entry: OutboxEntry) => {
    const order = orderInStatusEvent(entry);
    if (!order) return;
    const owed: InvoiceJobKind[] = [];
    if (order.invoice?.status === 'PENDING') owed.push('INVOICE');
    if (order.creditNote?.status === 'PENDING') owed.push('CREDIT_NOTE');
    for (const kind of owed) {
      const job: InvoiceJob = { orderId: order._id, kind };
      await jobs.enqueue(QUEUES.invoices, INVOICE_JOB, invoiceJobId(order._id, kind), job);
    }
  };
}
