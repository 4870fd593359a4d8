/**
 * The contract between the worker (the caller) and the subgraphs it needs for invoices: the orders
 * subgraph owns invoice numbers, state and the stored PDFs; the users subgraph knows the buyer. The
 * worker signs its calls with its own key (issuer 'worker'), for these audiences only.
 */

/** Issuer of the worker's service credentials. */
export const WORKER_SERVICE = 'worker';
/** Audience the orders subgraph expects on the worker's credentials (not the gateway's 'orders'). */
export const ORDERS_INTERNAL_AUDIENCE = 'orders-internal';
/** Audience the users subgraph expects on the worker's credentials (not the gateway's 'users'). */
export const USERS_INTERNAL_AUDIENCE = 'users-internal';

/** A tax invoice, or the credit note that reverses it when its order is cancelled. */
export type InvoiceKind = 'INVOICE' | 'CREDIT_NOTE';

/**
 * The GST rates (percent) a product may carry: since 22 September 2025 most goods are at 0, 5 or 18
 * and luxury and "sin" goods at 40; 3 is gold, silver and jewellery; 12 and 28 stay for goods still
 * taxed at them (tobacco while compensation cess lasts) and for catalogues not yet moved.
 */
export const GST_RATE_SLABS = [0, 3, 5, 12, 18, 28, 40] as const;
export const DEFAULT_GST_RATE_PERCENT = 18;

/** The largest PDF the orders subgraph stores (well inside its 1 MB request limit once base64-encoded). */
export const MAX_INVOICE_PDF_BYTES = 600_000;

/** One order line as it was at ordering time. */
export interface InvoiceLineData {
  productId: string;
  name: string;
  quantity: number;
  unitPricePaise: number;
  gstRatePercent: number;
}

/** What the worker needs to render one document, with its number already allocated for good. */
export interface PreparedInvoice {
  orderId: string;
  kind: InvoiceKind;
  number: string;
  /** ISO-8601; fixed when the number was allocated, so every rendering shows the same date. */
  issuedAt: string;
  /** PENDING, READY (a PDF is stored: nothing to do) or FAILED (an earlier attempt gave up). */
  status: 'PENDING' | 'READY' | 'FAILED';
  userId: string;
  orderedAt: string;
  totalPaise: number;
  lines: InvoiceLineData[];
  /** For a credit note: the invoice it reverses. */
  original: { number: string; issuedAt: string } | null;
  /** The buyer kept on the order by the first preparation given one; null before that. */
  buyer: InvoiceBuyer | null;
}

/**
 * Allocates the document's number if it has none (once per order and kind, however often it is
 * called) and returns what to render. Fails with CONFLICT when the order owes no such document.
 */
export const PREPARE_INVOICE_MUTATION = `mutation PrepareInvoice($orderId: ID!, $kind: InvoiceKind!, $buyer: InvoiceBuyerInput) {
  prepareInvoice(orderId: $orderId, kind: $kind, buyer: $buyer) {
    orderId kind number issuedAt status userId orderedAt totalPaise
    lines { productId name quantity unitPricePaise gstRatePercent }
    original { number issuedAt }
    buyer { name city }
  }
}`;

/** Stores the rendered PDF (the first one stored stays) and marks the document READY. */
export const ATTACH_INVOICE_MUTATION = `mutation AttachInvoicePdf($orderId: ID!, $kind: InvoiceKind!, $number: String!, $pdfBase64: String!) {
  attachInvoicePdf(orderId: $orderId, kind: $kind, number: $number, pdfBase64: $pdfBase64)
}`;

/** Marks the document FAILED unless a PDF is already stored; a later attempt may still succeed. */
export const FAIL_INVOICE_MUTATION = `mutation FailInvoice($orderId: ID!, $kind: InvoiceKind!) {
  failInvoice(orderId: $orderId, kind: $kind)
}`;

export interface PrepareInvoiceResult {
  prepareInvoice: PreparedInvoice;
}

/** The buyer as the invoice names them (the users subgraph's internal query). */
export interface InvoiceBuyer {
  name: string;
  city: string | null;
}

export const INVOICE_BUYER_QUERY = `query InvoiceBuyer($userId: ID!) {
  invoiceBuyer(userId: $userId) { name city }
}`;

export interface InvoiceBuyerResult {
  invoiceBuyer: InvoiceBuyer | null;
}
