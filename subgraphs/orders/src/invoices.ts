import type { Types } from 'mongoose';
import { requireViewer, type AuthState } from '@supergraph/auth';
import {
  DEFAULT_GST_RATE_PERCENT,
  MAX_INVOICE_PDF_BYTES,
  type InvoiceBuyer,
  type InvoiceKind,
  type PreparedInvoice,
} from '@supergraph/contracts';
import { badInput, conflict, notFound, type Logger } from '@supergraph/runtime';
import { parseObjectId } from '@supergraph/subgraph-kit';
import type { InvoiceFiles } from './invoice-files.js';
import type { AllocatedNumber, DocumentNumbers } from './invoice-numbers.js';
import { VISIBLE_ORDERS, type DocumentState, type OrderDoc, type OrderModel } from './model.js';

/**
 * The orders subgraph's side of invoicing: which documents an order owes, their numbers, their
 * stored PDFs. The worker renders; this subgraph allocates and keeps. Every operation here is
 * idempotent, so a worker may run a job twice, or two workers the same job, safely.
 */
export interface InvoiceServices {
  orders: OrderModel;
  numbers: DocumentNumbers;
  files: InvoiceFiles;
  logger: Logger;
}

const FIELD = { INVOICE: 'invoice', CREDIT_NOTE: 'creditNote' } as const satisfies Record<InvoiceKind, keyof OrderDoc>;

/** Where clients fetch a READY document: a path on the gateway, which serves it to the owner or an admin. */
export function documentPath(orderId: string, kind: InvoiceKind): string {
  return kind === 'INVOICE' ? `/invoices/${orderId}.pdf` : `/credit-notes/${orderId}.pdf`;
}

/** Order.invoice / Order.creditNote as clients see them. */
export function documentView(order: OrderDoc, kind: InvoiceKind) {
  const state: DocumentState | undefined = order[FIELD[kind]];
  if (!state) return null;
  return {
    number: state.number ?? null,
    status: state.status,
    issuedAt: state.issuedAt ?? null,
    url: state.status === 'READY' ? documentPath(String(order._id), kind) : null,
  };
}

async function loadOrder(services: InvoiceServices, orderId: Types.ObjectId): Promise<OrderDoc> {
  const order = await services.orders.findOne({ _id: orderId, ...VISIBLE_ORDERS }).lean<OrderDoc>();
  if (!order) throw notFound('Order', String(orderId));
  return order;
}

function owedState(order: OrderDoc, kind: InvoiceKind): DocumentState {
  const state = order[FIELD[kind]];
  if (state) return state;
  throw conflict(
    kind === 'INVOICE'
      ? `orderId: order ${String(order._id)} is ${order.status} and owes no invoice; one is owed once an order is confirmed`
      : `orderId: order ${String(order._id)} owes no credit note; one is owed when a confirmed order is cancelled`,
  );
}

/** The document's number: the one the order has, or one allocated now and written on the order. */
async function ensureNumber(services: InvoiceServices, order: OrderDoc, kind: InvoiceKind): Promise<AllocatedNumber> {
  const state = owedState(order, kind);
  if (state.number && state.issuedAt) return { number: state.number, issuedAt: state.issuedAt };
  // The ledger answers the same number to every caller for this order; writing it on the order
  // again is harmless, so a crash between the two steps is repaired by the next attempt.
  const allocated = await services.numbers.allocate(String(order._id), kind);
  const field = FIELD[kind];
  await services.orders.updateOne(
    { _id: order._id },
    { $set: { [`${field}.number`]: allocated.number, [`${field}.issuedAt`]: allocated.issuedAt } },
  );
  services.logger.info('document numbered', { orderId: String(order._id), kind, number: allocated.number });
  return allocated;
}

export async function prepareInvoice(
  services: InvoiceServices,
  orderIdText: string,
  kind: InvoiceKind,
  buyer?: InvoiceBuyer | null,
): Promise<PreparedInvoice> {
  let order = await loadOrder(services, parseObjectId(orderIdText, 'orderId'));
  const state = owedState(order, kind);
  if (buyer && !order.buyer) {
    // The first buyer given stays: a conditional write, so two workers racing keep the same one.
    await services.orders.updateOne(
      { _id: order._id, buyer: { $exists: false } },
      { $set: { buyer: { name: buyer.name, city: buyer.city ?? null } } },
    );
    order = await loadOrder(services, order._id);
  }
  // A credit note names the invoice it reverses, so that invoice is numbered first if it is not yet.
  const invoice = await ensureNumber(services, order, 'INVOICE');
  const document = kind === 'INVOICE' ? invoice : await ensureNumber(services, order, kind);
  return {
    orderId: String(order._id),
    kind,
    number: document.number,
    issuedAt: document.issuedAt.toISOString(),
    status: state.status,
    userId: String(order.userId),
    orderedAt: order.createdAt.toISOString(),
    totalPaise: order.totalPaise,
    lines: order.items.map((line) => ({
      productId: String(line.productId),
      // Orders placed before names and rates were kept: the product id, and the default rate.
      name: line.productName || `Product ${String(line.productId)}`,
      quantity: line.quantity,
      unitPricePaise: line.unitPricePaise,
      gstRatePercent: line.gstRatePercent ?? DEFAULT_GST_RATE_PERCENT,
    })),
    original: kind === 'CREDIT_NOTE' ? { number: invoice.number, issuedAt: invoice.issuedAt.toISOString() } : null,
    buyer: order.buyer ? { name: order.buyer.name, city: order.buyer.city ?? null } : null,
  };
}

/** Every PDF starts with it. */
const PDF_MAGIC = '%PDF-';

export async function attachInvoicePdf(
  services: InvoiceServices,
  orderIdText: string,
  kind: InvoiceKind,
  number: string,
  pdfBase64: string,
): Promise<boolean> {
  const order = await loadOrder(services, parseObjectId(orderIdText, 'orderId'));
  const state = owedState(order, kind);
  if (state.number !== number) {
    throw conflict(`number: the order's ${kind} is numbered ${state.number ?? '(not yet)'}, not ${number}; prepare it and attach that one`);
  }
  const pdf = Buffer.from(pdfBase64, 'base64');
  if (pdf.length > MAX_INVOICE_PDF_BYTES)
    throw badInput('pdfBase64', `the PDF may be at most ${MAX_INVOICE_PDF_BYTES} bytes (got ${pdf.length})`);
  if (pdf.subarray(0, PDF_MAGIC.length).toString('latin1') !== PDF_MAGIC)
    throw badInput('pdfBase64', 'expected a base64-encoded PDF (starting %PDF-)');
  await services.files.store(String(order._id), kind, number, pdf);
  await services.orders.updateOne({ _id: order._id }, { $set: { [`${FIELD[kind]}.status`]: 'READY' } });
  return true;
}

/** PENDING becomes FAILED; a READY document stays READY (another attempt finished it). */
export async function failInvoice(services: InvoiceServices, orderIdText: string, kind: InvoiceKind): Promise<boolean> {
  const orderId = parseObjectId(orderIdText, 'orderId');
  const field = FIELD[kind];
  const result = await services.orders.updateOne(
    { _id: orderId, [`${field}.status`]: 'PENDING' },
    { $set: { [`${field}.status`]: 'FAILED' } },
  );
  return result.modifiedCount === 1;
}

/**
 * The stored PDF, for the order's owner or an admin (the gateway's GET /invoices/<id>.pdf). Anyone
 * else gets NOT_FOUND, exactly as for an order that does not exist: whether an order exists is
 * nobody else's business.
 */
export async function invoiceFile(services: InvoiceServices, auth: AuthState, orderIdText: string, kind: InvoiceKind) {
  const viewer = requireViewer(auth);
  const orderId = parseObjectId(orderIdText, 'orderId');
  const order = await services.orders.findOne({ _id: orderId, ...VISIBLE_ORDERS }, { userId: 1 }).lean<OrderDoc>();
  if (!order || (viewer.role !== 'ADMIN' && String(order.userId) !== viewer.id)) throw notFound('Order', orderIdText);
  const file = await services.files.read(String(orderId), kind);
  if (!file) throw notFound(kind === 'INVOICE' ? 'Invoice for order' : 'Credit note for order', orderIdText);
  return { number: file.number, pdfBase64: file.pdf.toString('base64') };
}
