import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { readPrivateKey } from '@supergraph/auth';
import { createInvoicingClients, issueInvoice, readSellerDetails, type IssueDeps } from '@supergraph/invoicing';
import { pdfText } from '../packages/invoicing/src/pdf-text.fixture.js';
import { adminToken, createProduct, errorCodes, gqlAsGateway, gqlOk, PLACE_ORDER, signUpCustomer } from './helpers.js';

// The shared stack's worker issues every owed document from its queue; the tests wait for it. Where
// they race it or replay a crashed run, they call the job's body, issueInvoice, themselves, against
// the same subgraph processes over HTTP, signed with the worker's own key as the worker signs.
let deps: IssueDeps;
let admin: string;
let gatewayOrigin: string;
let products: { diya: string; kurta: string };

const INVOICE_FIELDS = 'invoice { number status issuedAt url } creditNote { number status issuedAt url }';

async function placeConfirmedOrder(token: string, lines: { productId: string; quantity: number }[]): Promise<string> {
  const { placeOrder } = await gqlOk<{ placeOrder: { id: string } }>(PLACE_ORDER, { input: { items: lines } }, token);
  await gqlOk('mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { id } }', { id: placeOrder.id }, admin);
  return placeOrder.id;
}

async function orderDocuments(id: string, token: string) {
  return (await gqlOk<{ order: any }>(`query($id: ID!) { order(id: $id) { status ${INVOICE_FIELDS} } }`, { id }, token)).order;
}

/** The order's invoice or credit note once it is READY (the worker's job done), or fails after 30 s. */
async function whenIssued(id: string, token: string, field: 'invoice' | 'creditNote') {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const documents = await orderDocuments(id, token);
    if (documents[field]?.status === 'READY') return documents[field];
    if (Date.now() > deadline) throw new Error(`order ${id}: ${field} not READY within 30 s (${JSON.stringify(documents[field])})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const getPdf = (path: string, token?: string) =>
  fetch(new URL(path, gatewayOrigin), { headers: token ? { authorization: `Bearer ${token}` } : {} });

const sequence = (number: string) => Number(number.split('/').at(-1));

beforeAll(async () => {
  const urls = inject('subgraphUrls');
  deps = {
    ...createInvoicingClients({
      ordersUrl: urls.orders,
      usersUrl: urls.users,
      signingKey: readPrivateKey(process.env, 'WORKER_SERVICE_SIGNING_KEY'),
      callTimeoutMs: 10_000,
    }),
    // The development seller: Maharashtra, so a Mumbai buyer pays CGST + SGST and a Bengaluru one IGST.
    seller: readSellerDetails({ NODE_ENV: 'test' }),
  };
  admin = await adminToken();
  gatewayOrigin = new URL(inject('gatewayUrl')).origin;
  const diya = await createProduct(admin, { name: 'Brass Diya Set', pricePaise: 49900, stock: 500 });
  const kurta = await createProduct(admin, { name: 'Cotton Kurta', pricePaise: 129900, stock: 500, gstRatePercent: 5 });
  products = { diya: diya.id, kurta: kurta.id };
});

describe('GST invoices', () => {
  it('issues a confirmed order its invoice through the worker: READY with a PDF that reads back right, for its owner only', async () => {
    const buyer = await signUpCustomer({ name: 'Priya Sharma', city: 'Mumbai' });
    const placed = await gqlOk<{ placeOrder: { id: string } }>(
      PLACE_ORDER,
      {
        input: {
          items: [
            { productId: products.diya, quantity: 2 },
            { productId: products.kurta, quantity: 1 },
          ],
        },
      },
      buyer.token,
    );
    const orderId = placed.placeOrder.id;
    // Not confirmed yet: nothing owed, and the worker is told so.
    expect((await orderDocuments(orderId, buyer.token)).invoice).toBeNull();
    await expect(issueInvoice(deps, orderId)).rejects.toMatchObject({ extensions: { code: 'CONFLICT' } });

    await gqlOk('mutation($id: ID!) { updateOrderStatus(id: $id, status: CONFIRMED) { id } }', { id: orderId }, admin);
    // Owed from the confirming write on (the worker may already have issued it by now).
    expect((await orderDocuments(orderId, buyer.token)).invoice.status).toMatch(/^(PENDING|READY)$/);

    const invoice = await whenIssued(orderId, buyer.token, 'invoice');
    expect(invoice.number).toMatch(/^BM\/\d{4}-\d{2}\/\d{6}$/);
    expect(invoice).toMatchObject({ status: 'READY', url: `/invoices/${orderId}.pdf` });
    expect(Date.parse(invoice.issuedAt)).toBeGreaterThan(Date.now() - 60_000);
    // A second run of the job (a retry after a crash) finds it issued and changes nothing.
    expect(await issueInvoice(deps, orderId)).toEqual({ number: invoice.number, alreadyIssued: true });
    const issued = { number: invoice.number as string };

    const response = await getPdf(invoice.url, buyer.token);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    const text = await pdfText(new Uint8Array(await response.arrayBuffer()));
    for (const expected of [
      'TAX INVOICE',
      issued.number,
      'GSTIN: 27AABCB1234F1Z8',
      'Priya Sharma',
      'Place of supply: Maharashtra (27)',
      'Brass Diya Set',
      'Cotton Kurta',
      // 2 × 499.00 at 18%: CGST and SGST 76.12 each; 1,299.00 at 5%: 30.93 each.
      '76.12',
      '30.93',
      'Rs. 2,297.00',
      'Rupees Two Thousand Two Hundred Ninety-Seven Only',
    ]) {
      expect(text).toContain(expected);
    }
    expect(text).not.toContain('IGST');

    // An admin may read it; nobody else learns it exists.
    expect((await getPdf(invoice.url, admin)).status).toBe(200);
    const stranger = await signUpCustomer();
    const refused = await getPdf(invoice.url, stranger.token);
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-type')).toMatch(/application\/json/);
    expect((await getPdf('/invoices/0123456789abcdef01234567.pdf', buyer.token)).status).toBe(404);
    expect((await getPdf(invoice.url)).status).toBe(401);
    expect((await getPdf(invoice.url, 'not-a-token')).status).toBe(401);
  });

  it('charges IGST to a buyer in another state', async () => {
    const buyer = await signUpCustomer({ city: 'Bengaluru' });
    const orderId = await placeConfirmedOrder(buyer.token, [{ productId: products.diya, quantity: 2 }]);
    await issueInvoice(deps, orderId);
    const text = await pdfText(new Uint8Array(await (await getPdf(`/invoices/${orderId}.pdf`, buyer.token)).arrayBuffer()));
    expect(text).toContain('Place of supply: Karnataka (29)');
    expect(text).toContain('152.24'); // 998.00 at 18%, taken out: 152.24 IGST
    expect(text).not.toContain('CGST');
  });

  it('gives one number per order and never one number twice, however many workers race', async () => {
    const buyers = await Promise.all([signUpCustomer(), signUpCustomer()]);
    // Four orders per customer stay well inside the cap on open orders.
    const orderIds: string[] = [];
    for (const buyer of buyers) {
      for (let i = 0; i < 4; i++) orderIds.push(await placeConfirmedOrder(buyer.token, [{ productId: products.diya, quantity: 1 }]));
    }
    // A worker that died after numbering and before storing: the next run finds the same number.
    const crashed = await deps.store.prepare(orderIds[0], 'INVOICE');

    // Three workers for every order at once.
    const runs = await Promise.all(orderIds.flatMap((id) => [0, 1, 2].map(async () => ({ id, ...(await issueInvoice(deps, id)) }))));
    const byOrder = new Map<string, Set<string>>();
    for (const run of runs) byOrder.set(run.id, (byOrder.get(run.id) ?? new Set()).add(run.number));
    for (const numbers of byOrder.values()) expect(numbers.size).toBe(1);
    expect([...byOrder.get(orderIds[0])!]).toEqual([crashed.number]);
    const numbers = [...byOrder.values()].map((set) => [...set][0]);
    expect(new Set(numbers).size).toBe(orderIds.length);
    // Not checked here that they follow on from one another: the shared stack's worker may be numbering
    // other tests' orders at the same moment. src/invoices.test.ts in orders checks the series has no gaps.
    expect(numbers.map(sequence).every((n) => Number.isInteger(n) && n > 0)).toBe(true);

    // Each order READY, its one stored PDF under its own number.
    for (const [index, id] of orderIds.entries()) {
      const token = buyers[Math.floor(index / 4)].token;
      const { invoice } = await orderDocuments(id, token);
      expect(invoice).toMatchObject({ status: 'READY', number: [...byOrder.get(id)!][0] });
    }
    const again = await issueInvoice(deps, orderIds[1]);
    expect(again).toEqual({ number: [...byOrder.get(orderIds[1])!][0], alreadyIssued: true });
  });

  it('follows a cancelled invoiced order with a credit note naming the invoice', async () => {
    const buyer = await signUpCustomer({ city: 'Pune' });
    const orderId = await placeConfirmedOrder(buyer.token, [{ productId: products.kurta, quantity: 1 }]);
    const invoice = await whenIssued(orderId, buyer.token, 'invoice');
    // The buyer renames themselves and moves to another state before cancelling: the credit note
    // must still name the invoice's buyer and split the tax as the invoice did (CGST + SGST).
    await gqlOk('mutation { updateMe(input: { name: "Moved Away", city: "Bengaluru" }) { id } }', {}, buyer.token);
    await gqlOk('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: orderId }, buyer.token);
    expect((await orderDocuments(orderId, buyer.token)).creditNote.status).toMatch(/^(PENDING|READY)$/);

    const creditNote = await whenIssued(orderId, buyer.token, 'creditNote');
    const note = { number: creditNote.number as string };
    expect(note.number).toMatch(/^BM-CN\/\d{4}-\d{2}\/\d{6}$/);
    expect(creditNote).toMatchObject({ status: 'READY', url: `/credit-notes/${orderId}.pdf` });
    const text = await pdfText(new Uint8Array(await (await getPdf(creditNote.url, buyer.token)).arrayBuffer()));
    expect(text).toContain('CREDIT NOTE');
    expect(text).toContain(note.number);
    expect(text).toContain(`Against invoice: ${invoice.number}`);
    expect(text).toContain('Rs. 1,299.00');
    expect(text).toContain('Place of supply: Maharashtra (27)');
    expect(text).toContain('CGST');
    expect(text).toContain('Test Customer');
    expect(text).not.toContain('Moved Away');

    // An order cancelled before confirmation owes neither.
    const unconfirmed = await gqlOk<{ placeOrder: { id: string } }>(
      PLACE_ORDER,
      { input: { items: [{ productId: products.diya, quantity: 1 }] } },
      buyer.token,
    );
    await gqlOk('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: unconfirmed.placeOrder.id }, buyer.token);
    expect(await orderDocuments(unconfirmed.placeOrder.id, buyer.token)).toMatchObject({ invoice: null, creditNote: null });
  });

  it('keeps the internal invoice operations to the worker: the gateway credential is refused', async () => {
    const buyer = await signUpCustomer();
    const orderId = await placeConfirmedOrder(buyer.token, [{ productId: products.diya, quantity: 1 }]);
    const result = await gqlAsGateway(
      'orders',
      'mutation($id: ID!) { prepareInvoice(orderId: $id, kind: INVOICE) { number } }',
      { id: orderId },
      admin,
    );
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    const buyerLookup = await gqlAsGateway('users', 'query($id: ID!) { invoiceBuyer(userId: $id) { name } }', { id: buyer.user.id }, admin);
    expect(errorCodes(buyerLookup)).toEqual(['FORBIDDEN']);
    // Nor can clients reach them through the gateway at all.
    const viaGateway = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify({ query: `mutation { failInvoice(orderId: "${orderId}", kind: INVOICE) }` }),
    });
    expect(JSON.stringify(await viaGateway.json())).toMatch(/GRAPHQL_VALIDATION_FAILED/);
  });
});
