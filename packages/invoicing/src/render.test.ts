import { describe, expect, it } from 'vitest';
import { taxInvoice } from './gst.js';
import { pdfText } from './pdf-text.fixture.js';
import { formatIndianDate, renderInvoicePdf, type InvoiceDocument } from './render.js';
import { stateNamed } from './states.js';

const maharashtra = stateNamed('Maharashtra')!;
const seller = {
  name: 'BharatMart Retail Private Limited',
  address: ['12 MG Road', 'Pune 411001'],
  gstin: '27AABCB1234F1Z8',
  state: maharashtra,
};
const lines = [
  { name: 'Brass Diya Set', quantity: 2, unitPricePaise: 49900, gstRatePercent: 18 },
  { name: 'Cotton Kurta', quantity: 1, unitPricePaise: 129900, gstRatePercent: 5 },
];

function document(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    kind: 'INVOICE',
    number: 'BM/2026-27/000042',
    issuedAt: new Date('2026-12-05T20:00:00Z'),
    orderId: '6751a0c0e4b0a1b2c3d4e5f6',
    orderedAt: new Date('2026-12-04T10:00:00Z'),
    seller,
    buyer: { name: 'Priya Sharma', city: 'Mumbai' },
    placeOfSupply: maharashtra,
    taxes: taxInvoice(lines, true),
    original: null,
    ...overrides,
  };
}

describe('invoice PDF', () => {
  it('renders a tax invoice that reads back with its number, parties, lines, GST split, total and words', async () => {
    const pdf = await renderInvoicePdf(document());
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const text = await pdfText(pdf);
    for (const expected of [
      'TAX INVOICE',
      'BM/2026-27/000042',
      // 20:00 UTC is past midnight in India: the invoice is dated the 6th.
      'Date: 06-12-2026',
      'GSTIN: 27AABCB1234F1Z8',
      'Priya Sharma',
      'Place of supply: Maharashtra (27)',
      'Brass Diya Set',
      'Cotton Kurta',
      'CGST',
      'SGST',
      // 2 × 499.00 at 18%: 76.12 CGST and SGST each; 1299.00 at 5%: 30.93 each.
      '76.12',
      '30.93',
      'Rs. 2,297.00',
      'Rupees Two Thousand Two Hundred Ninety-Seven Only',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('IGST');
  });

  it('prints IGST across states and UTGST for a union territory', async () => {
    const igst = await pdfText(
      await renderInvoicePdf(document({ placeOfSupply: stateNamed('Karnataka')!, taxes: taxInvoice(lines, false) })),
    );
    expect(igst).toContain('IGST');
    expect(igst).toContain('152.24'); // 99800 × 18 / 118 = 15223.7 → 15224 paise
    expect(igst).not.toContain('CGST');
    const chandigarh = stateNamed('Chandigarh')!;
    const ut = await pdfText(
      await renderInvoicePdf(
        document({ seller: { ...seller, state: chandigarh }, placeOfSupply: chandigarh, taxes: taxInvoice(lines, true) }),
      ),
    );
    expect(ut).toContain('UTGST');
  });

  it('renders a credit note naming the invoice it reverses', async () => {
    const text = await pdfText(
      await renderInvoicePdf(
        document({
          kind: 'CREDIT_NOTE',
          number: 'BM-CN/2026-27/000001',
          original: { number: 'BM/2026-27/000042', issuedAt: new Date('2026-12-05T06:00:00Z') },
        }),
      ),
    );
    expect(text).toContain('CREDIT NOTE');
    expect(text).toContain('BM-CN/2026-27/000001');
    expect(text).toContain('Against invoice: BM/2026-27/000042 dated 05-12-2026');
    expect(text).toContain('Total credited');
  });

  it('prints a stored name, city or product name on one line, whatever breaks it holds', async () => {
    const forged = 'GSTIN: 27AAAAA0000A1Z5';
    const text = await pdfText(
      await renderInvoicePdf(
        document({
          buyer: { name: `Priya Sharma\u2028${forged}`, city: `Mumbai\n${forged}` },
          taxes: taxInvoice([{ ...lines[0], name: `Brass Diya Set\u2029${forged}` }], true),
        }),
      ),
    );
    // Had the breaks been kept, each would start a line of its own.
    expect(text).toContain(`Priya Sharma ${forged}`);
    expect(text).toContain(`Mumbai ${forged}`);
    expect(text.split('\n').some((line) => line.trim().startsWith(forged))).toBe(false);
  });

  it('continues long invoices on further pages', async () => {
    const many = Array.from({ length: 50 }, (_, i) => ({
      name: `Item ${i + 1} with a rather long name that wraps`,
      quantity: 1,
      unitPricePaise: 1000,
      gstRatePercent: 12,
    }));
    const text = await pdfText(await renderInvoicePdf(document({ taxes: taxInvoice(many, true) })));
    expect(text).toContain('Item 50 with');
    expect(text).toContain('Rs. 500.00');
  });

  it('writes dates in Indian time', () => {
    expect(formatIndianDate(new Date('2027-03-31T18:29:59Z'))).toBe('31-03-2027');
    expect(formatIndianDate(new Date('2027-03-31T18:30:00Z'))).toBe('01-04-2027');
  });
});
