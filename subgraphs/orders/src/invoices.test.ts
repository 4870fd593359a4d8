import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types, type Connection } from 'mongoose';
import type { AuthState } from '@supergraph/auth';
import { createLogger } from '@supergraph/runtime';
import { rejectedGraphQLError } from '@supergraph/runtime/testing';
import { connectMongo } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import { createInvoiceFiles } from './invoice-files.js';
import { createDocumentNumbers } from './invoice-numbers.js';
import { attachInvoicePdf, documentView, failInvoice, invoiceFile, prepareInvoice, type InvoiceServices } from './invoices.js';
import { registerOrderModel, type OrderDoc } from './model.js';

const logger = createLogger('test', 'silent');
let connection: Connection;
let services: InvoiceServices;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('orders_invoices'), logger);
  const orders = registerOrderModel(connection);
  await orders.syncIndexes();
  const numbers = createDocumentNumbers(connection, 'TST');
  await numbers.syncIndexes();
  services = { orders, numbers, files: createInvoiceFiles(connection), logger };
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const ownerId = new Types.ObjectId();
const owner: AuthState = { viewer: { id: String(ownerId), role: 'CUSTOMER' }, tokenProblem: null };
const stranger: AuthState = { viewer: { id: String(new Types.ObjectId()), role: 'CUSTOMER' }, tokenProblem: null };
const PDF = Buffer.from('%PDF-1.3 a stand-in document').toString('base64');

async function order(extra: Partial<OrderDoc> = { status: 'CONFIRMED', invoice: { status: 'PENDING' } }): Promise<string> {
  const created = await services.orders.create({
    userId: ownerId,
    items: [
      { productId: new Types.ObjectId(), quantity: 2, unitPricePaise: 49900, productName: 'Brass Diya', gstRatePercent: 12 },
      // Placed before names and rates were kept.
      { productId: new Types.ObjectId(), quantity: 1, unitPricePaise: 1500 },
    ],
    totalPaise: 101300,
    status: 'PLACED',
    idempotencyKey: new Types.ObjectId().toHexString(),
    requestHash: 'h',
    ...extra,
  });
  return String(created._id);
}

const sequenceOf = (number: string) => Number(number.split('/').at(-1));

describe('invoice numbers and files in the orders subgraph', () => {
  it('prepares an owed invoice once: the same number, date and lines on every call', async () => {
    const id = await order();
    const first = await prepareInvoice(services, id, 'INVOICE');
    expect(first).toMatchObject({
      orderId: id,
      kind: 'INVOICE',
      status: 'PENDING',
      userId: String(ownerId),
      totalPaise: 101300,
      original: null,
    });
    expect(first.number).toMatch(/^TST\/\d{4}-\d{2}\/\d{6}$/);
    expect(first.lines).toEqual([
      expect.objectContaining({ name: 'Brass Diya', quantity: 2, unitPricePaise: 49900, gstRatePercent: 12 }),
      expect.objectContaining({ name: expect.stringMatching(/^Product [0-9a-f]{24}$/), gstRatePercent: 18 }),
    ]);
    expect(await prepareInvoice(services, id, 'INVOICE')).toEqual(first);
    const stored = await services.orders.findById(id).lean<OrderDoc>();
    expect(documentView(stored!, 'INVOICE')).toMatchObject({ number: first.number, status: 'PENDING', url: null });
  });

  it('refuses to prepare what the order does not owe', async () => {
    const placed = await order({ status: 'PLACED' });
    expect((await rejectedGraphQLError(prepareInvoice(services, placed, 'INVOICE'))).extensions.code).toBe('CONFLICT');
    const confirmed = await order();
    expect((await rejectedGraphQLError(prepareInvoice(services, confirmed, 'CREDIT_NOTE'))).message).toMatch(/owes no credit note/);
  });

  it('gives concurrent preparations of one order one number, and of many orders consecutive distinct numbers', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, () => order()));
    const results = await Promise.all(
      ids.flatMap((id) => [1, 2, 3].map(async () => [id, (await prepareInvoice(services, id, 'INVOICE')).number])),
    );
    const byOrder = new Map<string, Set<string>>();
    for (const [id, number] of results) byOrder.set(id, (byOrder.get(id) ?? new Set()).add(number));
    expect([...byOrder.values()].every((numbers) => numbers.size === 1)).toBe(true);
    const sequences = [...byOrder.values()].map((numbers) => sequenceOf([...numbers][0])).sort((a, b) => a - b);
    expect(new Set(sequences).size).toBe(6);
    expect(sequences.at(-1)! - sequences[0]).toBe(5);
  });

  it('continues the series past a number taken while the counter lagged (a crash after the insert)', async () => {
    const a = await order();
    const first = sequenceOf((await prepareInvoice(services, a, 'INVOICE')).number);
    // The ledger has the next number, the counter does not know: the next allocation steps over it.
    await connection.collection('invoice_series').updateMany({}, { $inc: { last: -1 } });
    const b = await order();
    expect(sequenceOf((await prepareInvoice(services, b, 'INVOICE')).number)).toBe(first + 1);
  });

  it('stores the first PDF attached, marks READY, and serves it to the owner only', async () => {
    const id = await order();
    const { number } = await prepareInvoice(services, id, 'INVOICE');
    expect((await rejectedGraphQLError(attachInvoicePdf(services, id, 'INVOICE', 'TST/1999-00/000001', PDF))).extensions.code).toBe(
      'CONFLICT',
    );
    expect(
      (await rejectedGraphQLError(attachInvoicePdf(services, id, 'INVOICE', number, Buffer.from('hello').toString('base64')))).message,
    ).toMatch(/pdfBase64: expected a base64-encoded PDF/);
    expect((await rejectedGraphQLError(invoiceFile(services, owner, id, 'INVOICE'))).extensions.code).toBe('NOT_FOUND');
    await Promise.all([attachInvoicePdf(services, id, 'INVOICE', number, PDF), attachInvoicePdf(services, id, 'INVOICE', number, PDF)]);
    await attachInvoicePdf(services, id, 'INVOICE', number, Buffer.from('%PDF-1.3 a later copy').toString('base64'));
    expect(await invoiceFile(services, owner, id, 'INVOICE')).toEqual({ number, pdfBase64: PDF });
    expect((await rejectedGraphQLError(invoiceFile(services, stranger, id, 'INVOICE'))).extensions.code).toBe('NOT_FOUND');
    const stored = await services.orders.findById(id).lean<OrderDoc>();
    expect(documentView(stored!, 'INVOICE')).toMatchObject({ status: 'READY', url: `/invoices/${id}.pdf` });
    // Failing a READY document changes nothing.
    expect(await failInvoice(services, id, 'INVOICE')).toBe(false);
  });

  it('marks a PENDING document FAILED, and a later attempt may still finish it', async () => {
    const id = await order();
    expect(await failInvoice(services, id, 'INVOICE')).toBe(true);
    const { number, status } = await prepareInvoice(services, id, 'INVOICE');
    expect(status).toBe('FAILED');
    await attachInvoicePdf(services, id, 'INVOICE', number, PDF);
    expect((await services.orders.findById(id).lean<OrderDoc>())!.invoice?.status).toBe('READY');
  });

  it('numbers a credit note in its own series, naming the invoice (numbered first if it was not)', async () => {
    const id = await order({ status: 'CANCELLED', invoice: { status: 'PENDING' }, creditNote: { status: 'PENDING' } });
    const note = await prepareInvoice(services, id, 'CREDIT_NOTE');
    expect(note.number).toMatch(/^TST-CN\/\d{4}-\d{2}\/\d{6}$/);
    const invoice = await prepareInvoice(services, id, 'INVOICE');
    expect(note.original).toEqual({ number: invoice.number, issuedAt: invoice.issuedAt });
  });
});
