/**
 * GST on an invoice's lines, in integer paise.
 *
 * The catalog's prices are what the customer pays: Indian retail prices include every tax, and the
 * order's total is what was charged. So the tax is taken out of each line, not added on top, and an
 * invoice always adds up to its order's total.
 *
 * Rounding rule, per line: the line's gross (quantity × unit price) is split into tax and taxable
 * value. Each tax amount is rounded half up to the paisa on its own — within a state CGST and SGST
 * (or UTGST) are each gross × rate / (2 × (100 + rate)), so the two halves are always equal; across
 * states IGST is gross × rate / (100 + rate). The taxable value is the rest, so taxable value plus
 * tax is exactly the line's gross. Totals are sums of the rounded lines.
 */

export interface InvoiceLineInput {
  name: string;
  quantity: number;
  unitPricePaise: number;
  gstRatePercent: number;
}

export interface TaxedLine extends InvoiceLineInput {
  /** Quantity × unit price: what the customer paid for the line, tax included. */
  grossPaise: number;
  taxablePaise: number;
  /** Central and state (or union territory) halves within a state; 0 across states. */
  cgstPaise: number;
  sgstPaise: number;
  /** Integrated tax across states; 0 within one. */
  igstPaise: number;
}

export interface TaxedInvoice {
  lines: TaxedLine[];
  intraState: boolean;
  taxablePaise: number;
  cgstPaise: number;
  sgstPaise: number;
  igstPaise: number;
  totalPaise: number;
}

/** n / d rounded half up, for whole n ≥ 0 and d > 0, without leaving integers. */
export function divideRoundingHalfUp(n: number, d: number): number {
  return Math.floor((2 * n + d) / (2 * d));
}

export function taxLine(line: InvoiceLineInput, intraState: boolean): TaxedLine {
  const grossPaise = line.quantity * line.unitPricePaise;
  const rate = line.gstRatePercent;
  if (intraState) {
    const half = divideRoundingHalfUp(grossPaise * rate, 2 * (100 + rate));
    return { ...line, grossPaise, taxablePaise: grossPaise - 2 * half, cgstPaise: half, sgstPaise: half, igstPaise: 0 };
  }
  const igstPaise = divideRoundingHalfUp(grossPaise * rate, 100 + rate);
  return { ...line, grossPaise, taxablePaise: grossPaise - igstPaise, cgstPaise: 0, sgstPaise: 0, igstPaise };
}

export function taxInvoice(lines: InvoiceLineInput[], intraState: boolean): TaxedInvoice {
  const taxed = lines.map((line) => taxLine(line, intraState));
  const sum = (pick: (line: TaxedLine) => number) => taxed.reduce((total, line) => total + pick(line), 0);
  return {
    lines: taxed,
    intraState,
    taxablePaise: sum((l) => l.taxablePaise),
    cgstPaise: sum((l) => l.cgstPaise),
    sgstPaise: sum((l) => l.sgstPaise),
    igstPaise: sum((l) => l.igstPaise),
    totalPaise: sum((l) => l.grossPaise),
  };
}
