import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { divideRoundingHalfUp, taxInvoice, taxLine } from './gst.js';
import { GST_RATE_SLABS } from '@supergraph/contracts';

const line = (unitPricePaise: number, gstRatePercent: number, quantity = 1) => ({
  name: 'Thali',
  quantity,
  unitPricePaise,
  gstRatePercent,
});

describe('GST taken out of GST-inclusive prices', () => {
  it('splits tax within a state into equal CGST and SGST halves, each rounded half up', () => {
    // 49900 × 18 / 236 = 3805.93… → 3806 each; the taxable value is what is left.
    expect(taxLine(line(49900, 18), true)).toMatchObject({
      grossPaise: 49900,
      cgstPaise: 3806,
      sgstPaise: 3806,
      igstPaise: 0,
      taxablePaise: 42288,
    });
  });

  it('charges IGST across states', () => {
    // 49900 × 18 / 118 = 7611.86… → 7612.
    expect(taxLine(line(49900, 18), false)).toMatchObject({ cgstPaise: 0, sgstPaise: 0, igstPaise: 7612, taxablePaise: 42288 });
  });

  it('rounds an exact half paisa up', () => {
    // 16 × 28 / 128 = 3.5 → 4.
    expect(taxLine(line(16, 28), false).igstPaise).toBe(4);
    expect(divideRoundingHalfUp(7, 2)).toBe(4);
    expect(divideRoundingHalfUp(5, 2)).toBe(3);
    expect(divideRoundingHalfUp(4, 3)).toBe(1);
  });

  it('takes no tax at 0%', () => {
    expect(taxLine(line(1000, 0, 3), true)).toMatchObject({ grossPaise: 3000, taxablePaise: 3000, cgstPaise: 0, sgstPaise: 0 });
  });

  it('sums rounded lines into totals that equal what the customer paid', () => {
    const invoice = taxInvoice([line(49900, 18, 2), line(12345, 5), line(100, 28, 7)], true);
    expect(invoice.totalPaise).toBe(2 * 49900 + 12345 + 700);
    expect(invoice.cgstPaise).toBe(invoice.sgstPaise);
    expect(invoice.taxablePaise + invoice.cgstPaise + invoice.sgstPaise).toBe(invoice.totalPaise);
    expect(invoice.lines.map((l) => l.cgstPaise)).toEqual([7612, 294, 77]);
  });

  it('always adds each line up to its gross, whatever the price, quantity, rate and place', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        fc.constantFrom(...GST_RATE_SLABS),
        fc.boolean(),
        (price, quantity, rate, intra) => {
          const taxed = taxLine(line(price, rate, quantity), intra);
          expect(taxed.taxablePaise + taxed.cgstPaise + taxed.sgstPaise + taxed.igstPaise).toBe(price * quantity);
          expect(taxed.taxablePaise).toBeGreaterThanOrEqual(0);
          // Never more than half a paisa (per amount) from the exact share.
          const exact = (price * quantity * rate) / (100 + rate);
          expect(Math.abs(taxed.cgstPaise + taxed.sgstPaise + taxed.igstPaise - exact)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});
