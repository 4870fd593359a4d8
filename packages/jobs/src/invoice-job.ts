import { jobId } from './job-ids.js';

/** Which document an invoice job issues: the tax invoice, or the credit note reversing it. */
export type InvoiceJobKind = 'INVOICE' | 'CREDIT_NOTE';

/** A job issuing an order's tax invoice or credit note (numbered, rendered and stored by the worker). */
export interface InvoiceJob {
  orderId: string;
  kind: InvoiceJobKind;
}

export const INVOICE_JOB = 'invoice';

/** One job per order and document: `invoice.<orderId>` or `credit-note.<orderId>`. */
export const invoiceJobId = (orderId: string, kind: InvoiceJobKind): string =>
  jobId(kind === 'INVOICE' ? 'invoice' : 'credit-note', orderId);
