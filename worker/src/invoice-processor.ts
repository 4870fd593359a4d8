import { issueInvoice, markIssueFailed, type IssueDeps } from '@supergraph/invoicing';
import type { InvoiceJob, Job } from '@supergraph/jobs';

/**
 * Issues one order's tax invoice or credit note (number, render, store: each step idempotent, so a
 * run repeated after a crash or beside another worker ends with one number and one PDF). On the
 * last attempt a failure also marks the document FAILED, so the order shows it; the job stays in
 * the failed set, and retrying it from there can still make the document READY.
 */
export function invoiceProcessor(deps: IssueDeps) {
  return async (job: Job<InvoiceJob>): Promise<string> => {
    try {
      const issued = await issueInvoice(deps, job.data.orderId, job.data.kind);
      return issued.alreadyIssued ? `${issued.number} was already issued` : `issued ${issued.number}`;
    } catch (error) {
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (lastAttempt) await markIssueFailed(deps, job.data.orderId, job.data.kind).catch(() => undefined);
      throw error;
    }
  };
}
