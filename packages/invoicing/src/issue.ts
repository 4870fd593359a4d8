import type { InvoiceKind } from '@supergraph/contracts';
import type { BuyerDirectory, InvoiceStore } from './client.js';
import { taxInvoice } from './gst.js';
import { renderInvoicePdf, type SellerDetails } from './render.js';
import { stateOfPlace } from './states.js';

export interface IssueDeps {
  store: InvoiceStore;
  buyers: BuyerDirectory;
  seller: SellerDetails;
}

export interface IssuedDocument {
  number: string;
  /** True when a PDF was already stored (an earlier or concurrent run finished it) and nothing was rendered. */
  alreadyIssued: boolean;
}

/** Printed when the buyer's account no longer exists: the invoice is owed all the same. */
const CLOSED_ACCOUNT = 'Customer (account closed)';

/**
 * The invoice job's body: number, render, store. Each step is idempotent — the number is
 * allocated once per order and kind by the orders subgraph whoever asks, and the first PDF stored
 * stays — so a job run twice (a worker killed mid-job and retried, or two workers racing) ends
 * with one number and one stored PDF. The queue retries a failed run; when it gives up for good
 * it calls `markIssueFailed`.
 */
export async function issueInvoice(deps: IssueDeps, orderId: string, kind: InvoiceKind = 'INVOICE'): Promise<IssuedDocument> {
  let prepared = await deps.store.prepare(orderId, kind);
  if (prepared.status === 'READY') return { number: prepared.number, alreadyIssued: true };
  if (!prepared.buyer) {
    // The first document of the order names the buyer as the account says now, and the order keeps
    // that (the first one given wins a race), so a rendering repeated later and the credit note
    // name the same buyer, with the same place of supply and tax split.
    const current = (await deps.buyers.buyer(prepared.userId)) ?? { name: CLOSED_ACCOUNT, city: null };
    prepared = await deps.store.prepare(orderId, kind, current);
  }
  const buyer = prepared.buyer ?? { name: CLOSED_ACCOUNT, city: null };
  // Place of supply: where the buyer is. A buyer whose city names no known state is taken to be
  // supplied where the seller is (the rule when the recipient's location is not on record), so
  // CGST + SGST apply; the invoice prints the place of supply it used.
  const placeOfSupply = stateOfPlace(buyer.city) ?? deps.seller.state;
  const taxes = taxInvoice(prepared.lines, placeOfSupply.code === deps.seller.state.code);
  if (taxes.totalPaise !== prepared.totalPaise) {
    // Tax is taken out of what was paid, so the lines must add up to the order's total.
    throw new Error(`order ${orderId}: its lines add up to ${taxes.totalPaise} paise but its total is ${prepared.totalPaise}`);
  }
  const pdf = await renderInvoicePdf({
    kind,
    number: prepared.number,
    issuedAt: new Date(prepared.issuedAt),
    orderId,
    orderedAt: new Date(prepared.orderedAt),
    seller: deps.seller,
    buyer,
    placeOfSupply,
    taxes,
    original: prepared.original ? { number: prepared.original.number, issuedAt: new Date(prepared.original.issuedAt) } : null,
  });
  await deps.store.attach(orderId, kind, prepared.number, pdf);
  return { number: prepared.number, alreadyIssued: false };
}

/** For the queue once a job has used up its attempts: the document shows FAILED (a later run may still make it READY). */
export async function markIssueFailed(deps: Pick<IssueDeps, 'store'>, orderId: string, kind: InvoiceKind = 'INVOICE'): Promise<void> {
  await deps.store.fail(orderId, kind);
}
