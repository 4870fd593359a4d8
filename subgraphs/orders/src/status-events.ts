import { channels, type OutboxEntry } from '@supergraph/subgraph-kit';
import type { DocumentStatus } from './model.js';

/** An order as a status event carries it (the document as written, ids as strings), as far as the relay hooks read it. */
export interface OrderInStatusEvent {
  _id: string;
  userId?: unknown;
  status?: unknown;
  invoice?: { status?: DocumentStatus };
  creditNote?: { status?: DocumentStatus };
}

/** The order a status-change entry of the outbox carries; null for an entry of any other channel. */
export function orderInStatusEvent(entry: OutboxEntry): OrderInStatusEvent | null {
  if (!channels.orderOfStatusChange(entry.channel)) return null;
  const order = JSON.parse(entry.payload) as { _id?: unknown };
  return typeof order._id === 'string' ? (order as OrderInStatusEvent) : null;
}
