import { describe, expect, it } from 'vitest';
import type { InvoiceKind, PreparedInvoice } from '@supergraph/contracts';
import type { BuyerDirectory, InvoiceStore } from './client.js';
import { issueInvoice } from './issue.js';
import { pdfText } from './pdf-text.fixture.js';
import { stateNamed } from './states.js';

// The job's own decisions (place of supply, totals, skipping finished work) against an in-memory
// store; the orders subgraph's side, numbering races included, is tested with real processes in
// test/invoices.e2e.ts.
const seller = { name: 'BharatMart', address: ['Pune'], gstin: '27AABCB1234F1Z8', state: stateNamed('Maharashtra')! };

function prepared(overrides: Partial<PreparedInvoice> = {}): PreparedInvoice {
  return {
    orderId: 'o1',
    kind: 'INVOICE',
    number: 'BM/2026-27/000007',
    issuedAt: '2026-12-05T06:00:00.000Z',
    status: 'PENDING',
    userId: 'u1',
    orderedAt: '2026-12-05T05:00:00.000Z',
    totalPaise: 11800,
    lines: [{ productId: 'p1', name: 'Steel Tiffin', quantity: 1, unitPricePaise: 11800, gstRatePercent: 18 }],
    original: null,
    buyer: null,
    ...overrides,
  };
}

/** Like the orders subgraph: the first buyer given is kept and answered from then on. */
function memoryStore(answer: PreparedInvoice) {
  const attached: { kind: InvoiceKind; number: string; pdf: Buffer }[] = [];
  let kept = answer.buyer;
  const store: InvoiceStore = {
    prepare: async (_orderId, _kind, buyer) => {
      kept ??= buyer ?? null;
      return { ...answer, buyer: kept };
    },
    attach: async (_orderId, kind, number, pdf) => {
      attached.push({ kind, number, pdf });
    },
    fail: async () => {},
  };
  return { store, attached, keptBuyer: () => kept };
}

const buyerIn = (city: string | null): BuyerDirectory => ({ buyer: async () => ({ name: 'Asha Rao', city }) });

describe('issueInvoice', () => {
  it('charges IGST when the buyer is in another state and attaches the PDF under the prepared number', async () => {
    const { store, attached } = memoryStore(prepared());
    const issued = await issueInvoice({ store, buyers: buyerIn('Hyderabad'), seller }, 'o1');
    expect(issued).toEqual({ number: 'BM/2026-27/000007', alreadyIssued: false });
    expect(attached).toHaveLength(1);
    const text = await pdfText(attached[0].pdf);
    expect(text).toContain('Place of supply: Telangana (36)');
    expect(text).toContain('IGST');
    expect(text).toContain('18.00'); // 11800 × 18 / 118
  });

  it('takes a buyer with no known place to be in the seller state (CGST + SGST)', async () => {
    const { store, attached } = memoryStore(prepared());
    await issueInvoice({ store, buyers: buyerIn(null), seller }, 'o1');
    const text = await pdfText(attached[0].pdf);
    expect(text).toContain('Place of supply: Maharashtra (27)');
    expect(text).toContain('CGST');
  });

  it('names the buyer kept on the order, not the account as it reads now, and keeps the first one looked up', async () => {
    // A credit note (or a second rendering) after the buyer moved from Hyderabad to Mumbai.
    const kept = memoryStore(prepared({ kind: 'CREDIT_NOTE', buyer: { name: 'Asha Rao', city: 'Hyderabad' } }));
    await issueInvoice({ store: kept.store, buyers: buyerIn('Mumbai'), seller }, 'o1', 'CREDIT_NOTE');
    const text = await pdfText(kept.attached[0].pdf);
    expect(text).toContain('Place of supply: Telangana (36)');
    expect(text).toContain('IGST');

    const first = memoryStore(prepared());
    await issueInvoice({ store: first.store, buyers: buyerIn('Hyderabad'), seller }, 'o1');
    expect(first.keptBuyer()).toEqual({ name: 'Asha Rao', city: 'Hyderabad' });
  });

  it('renders nothing for a document already READY', async () => {
    const { store, attached } = memoryStore(prepared({ status: 'READY' }));
    expect(await issueInvoice({ store, buyers: buyerIn('Mumbai'), seller }, 'o1')).toEqual({
      number: 'BM/2026-27/000007',
      alreadyIssued: true,
    });
    expect(attached).toEqual([]);
  });

  it('refuses to issue when the lines do not add up to the order total', async () => {
    const { store, attached } = memoryStore(prepared({ totalPaise: 11801 }));
    await expect(issueInvoice({ store, buyers: buyerIn('Mumbai'), seller }, 'o1')).rejects.toThrow(
      /add up to 11800 paise but its total is 11801/,
    );
    expect(attached).toEqual([]);
  });
});
