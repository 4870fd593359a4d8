import { describe, expect, it } from 'vitest';
import type { JobQueues } from '@supergraph/jobs';
import type { OutboxEntry } from '@supergraph/subgraph-kit';
import { invoiceJobHook } from './invoice-jobs.js';
import { orderNoticeHook } from './order-notices.js';

const ORDER_ID = '65f0c0ffee0000000000a001';
const USER_ID = '65f0c0ffee0000000000b001';

/** A JobQueues that records what was enqueued (the hooks' contract with the queues, without Redis). */
function recordingQueues() {
  const enqueued: { queue: string; name: string; id: string; data: unknown }[] = [];
  const queues: JobQueues = {
    async enqueue(queue, name, id, data) {
      enqueued.push({ queue, name, id, data });
    },
    queues: () => [],
    close: async () => undefined,
  };
  return { queues, enqueued };
}

function statusEntry(order: Record<string, unknown>, channel = `order.status.${ORDER_ID}`): OutboxEntry {
  return {
    eventId: 'e1',
    channel,
    entity: ORDER_ID,
    version: 2,
    payload: JSON.stringify({ _id: ORDER_ID, userId: USER_ID, ...order }),
    origin: 'test',
    createdAt: new Date(),
    sentAt: null,
  };
}

describe('invoiceJobHook', () => {
  it('enqueues the invoice a confirmation made owed, under the order-derived job id', async () => {
    const { queues, enqueued } = recordingQueues();
    await invoiceJobHook(queues)(statusEntry({ status: 'CONFIRMED', invoice: { status: 'PENDING' } }));
    expect(enqueued).toEqual([
      { queue: 'invoices', name: 'invoice', id: `invoice.${ORDER_ID}`, data: { orderId: ORDER_ID, kind: 'INVOICE' } },
    ]);
  });

  it('enqueues the credit note a cancellation made owed, and nothing for documents already issued', async () => {
    const { queues, enqueued } = recordingQueues();
    await invoiceJobHook(queues)(statusEntry({ status: 'CANCELLED', invoice: { status: 'READY' }, creditNote: { status: 'PENDING' } }));
    expect(enqueued.map((job) => job.id)).toEqual([`credit-note.${ORDER_ID}`]);
  });

  it('ignores orders that owe nothing and events that are not status changes', async () => {
    const { queues, enqueued } = recordingQueues();
    await invoiceJobHook(queues)(statusEntry({ status: 'PLACED' }));
    await invoiceJobHook(queues)(statusEntry({ status: 'CONFIRMED', invoice: { status: 'PENDING' } }, 'order.placed'));
    expect(enqueued).toEqual([]);
  });

  it('lets a failed enqueue reject, so the relay keeps the entry and tries again', async () => {
    const failing: JobQueues = { ...recordingQueues().queues, enqueue: () => Promise.reject(new Error('Redis is away')) };
    await expect(invoiceJobHook(failing)(statusEntry({ status: 'CONFIRMED', invoice: { status: 'PENDING' } }))).rejects.toThrow(
      'Redis is away',
    );
  });
});

describe('orderNoticeHook', () => {
  it('enqueues one notice per customer-facing status, none for PLACED', async () => {
    const { queues, enqueued } = recordingQueues();
    await orderNoticeHook(queues)(statusEntry({ status: 'SHIPPED' }));
    await orderNoticeHook(queues)(statusEntry({ status: 'PLACED' }));
    expect(enqueued).toEqual([
      {
        queue: 'notifications',
        name: 'order-status',
        id: `order-status.${ORDER_ID}.SHIPPED`,
        data: { orderId: ORDER_ID, userId: USER_ID, status: 'SHIPPED' },
      },
    ]);
  });
});
