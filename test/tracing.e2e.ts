import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { graphqlData } from '../scripts/lib/graphql-http.mjs';
import { startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { logInToken } from './helpers.js';
import { leaksIn } from './log-leaks.js';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';
import { collect, wsClient, wsUrl } from './ws-helpers.js';

// One client request is one trace across the supergraph, exported over OTLP to a real receiver:
// the gateway and the users subgraph send http/json, the catalog and orders http/protobuf, so
// one trace proves both protocols.

const SERVER = 2; // OTLP SpanKind
const CLIENT = 3;
const JSON_SERVICES = ['gateway', 'users'];
const POLL = { timeout: 15_000, interval: 100 };
const TRACE_PASSWORD = 'trace-pass-1';

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let stack: Awaited<ReturnType<typeof startStack>>;
const logLines: { service: string; line: Record<string, unknown> }[] = [];
let adminToken: string;
let customerToken: string;
let productId: string;

const newTraceId = () => randomBytes(16).toString('hex');
const traceparentFor = (traceId: string, parentSpanId = randomBytes(8).toString('hex')) => `00-${traceId}-${parentSpanId}-01`;

/** POSTs an operation to the gateway as part of the client's trace `traceId`. */
async function tracedRequest(traceId: string, clientSpanId: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(stack.gateway.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      traceparent: traceparentFor(traceId, clientSpanId),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return { response, data: body.data };
}

const spansOf = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);

/** Waits until the trace holds spans from every one of `services` (spans are exported in batches). */
async function traceFrom(traceId: string, services: string[], also: (spans: ReceivedSpan[]) => boolean = () => true) {
  return vi.waitFor(() => {
    const spans = spansOf(traceId);
    const seen = new Set(spans.map((span) => span.service));
    const missing = services.filter((service) => !seen.has(service));
    if (missing.length > 0 || !also(spans))
      throw new Error(`trace ${traceId} has no spans from ${missing.join(', ') || 'the expected work'} yet`);
    return spans;
  }, POLL);
}

/** The chain of spans from `span` up to the trace's root (within what was received). */
function ancestors(spans: ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: ReceivedSpan[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) chain.push(parent);
  return chain;
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const admin = { email: 'tracing-admin@test.in', password: randomBytes(12).toString('base64url') };
  const json = { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  stack = await startStack(
    {
      NODE_ENV: 'test',
      MONGODB_URI: withDatabase(process.env.TEST_MONGODB_URI!, `tracing_${Date.now()}`),
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      // Spans leave every 100 ms instead of every 5 s, so the test does not wait on batching.
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_TRACES_SAMPLER: 'parentbased_always_on',
    },
    {
      serviceEnv: Object.fromEntries(JSON_SERVICES.map((service) => [service, json])),
      onLine: (service: string, line: string) => {
        try {
          logLines.push({ service, line: JSON.parse(line) as Record<string, unknown> });
        } catch {
          // not a log line (a start-up message)
        }
      },
    },
  );
  adminToken = await logInToken(admin.email, admin.password, stack.gateway.url);
  const sku = `TRC-${randomBytes(4).toString('hex')}`.toUpperCase();
  productId = (
    await graphqlData(
      stack.gateway.url,
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { sku, name: 'Trace Kettle', category: 'Test', pricePaise: 10_000, stock: 50 } },
      { token: adminToken },
    )
  ).createProduct.id as string;
  customerToken = (
    await graphqlData(stack.gateway.url, 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
      i: { name: 'Trace Customer', email: `trace-${Date.now()}@test.in`, password: TRACE_PASSWORD },
    })
  ).signUp.token as string;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
});

describe('one trace per request', () => {
  it('a query crossing all three subgraphs is one trace under the client’s traceparent, parented hop by hop', async () => {
    const placed = newTraceId();
    await tracedRequest(
      placed,
      randomBytes(8).toString('hex'),
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      {
        input: { items: [{ productId, quantity: 1 }] },
      },
      customerToken,
    );

    const traceId = newTraceId();
    const clientSpanId = randomBytes(8).toString('hex');
    const { response, data } = await tracedRequest(
      traceId,
      clientSpanId,
      'query TracedOrders { me { name orders(first: 5) { edges { node { items { quantity product { name } } } } } } }',
      {},
      customerToken,
    );
    expect(data.me.orders.edges[0].node.items[0].product.name).toBe('Trace Kettle');
    // The response names the trace it joined, with the gateway's own span.
    const returned = response.headers.get('traceparent') ?? '';
    expect(returned).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(returned.split('-')[2]).not.toBe(clientSpanId);

    // Each service exports when its spans end, the outermost (its server span) last: wait for all of them.
    const spans = await traceFrom(
      traceId,
      ['gateway', 'users', 'orders', 'catalog'],
      (received) =>
        ['users', 'orders', 'catalog'].every((service) => received.some((s) => s.service === service && s.name === 'dataloader.batch')) &&
        ['gateway', 'users', 'orders', 'catalog'].every((service) => received.some((s) => s.service === service && s.kind === SERVER)),
    );
    // One tree: the gateway's server span hangs off the client's span, every other span off a span of the trace.
    const ids = new Set(spans.map((span) => span.spanId));
    const roots = spans.filter((span) => !ids.has(span.parentSpanId));
    expect(roots.map((span) => [span.service, span.kind, span.parentSpanId])).toEqual([['gateway', SERVER, clientSpanId]]);
    expect(roots[0].spanId).toBe(returned.split('-')[2]);

    // The gateway's own work: parse, validate, plan, and one fetch per subgraph.
    const gatewayNames = spans.filter((span) => span.service === 'gateway').map((span) => span.name);
    expect(gatewayNames).toEqual(expect.arrayContaining(['graphql.parse', 'gateway.validate', 'gateway.plan', 'gateway.execute']));
    expect(gatewayNames.filter((name) => name === 'gateway.fetch')).toHaveLength(3);

    const byId = new Map(spans.map((span) => [span.spanId, span]));
    for (const subgraph of ['users', 'orders', 'catalog']) {
      const own = spans.filter((span) => span.service === subgraph);
      // Each subgraph's request is a child of the gateway's HTTP call, which is a child of a gateway.fetch.
      const served = own.filter((span) => span.kind === SERVER);
      expect(served, subgraph).toHaveLength(1);
      const call = byId.get(served[0].parentSpanId)!;
      expect([call.service, call.kind]).toEqual(['gateway', CLIENT]);
      expect(byId.get(call.parentSpanId)?.name).toBe('gateway.fetch');
      // Inside it: the operation, DataLoader batches and MongoDB commands, all under its server span.
      const batch = own.find((span) => span.name === 'dataloader.batch')!;
      const command = own.find((span) => ancestors(spans, span).includes(batch) && span.attributes['db.system.name'] === 'mongodb');
      expect(command, `${subgraph}: a MongoDB command under its DataLoader batch`).toBeDefined();
      for (const span of own.filter((s) => s !== served[0]))
        expect(ancestors(spans, span), `${subgraph} ${span.name}`).toContain(served[0]);
      // The protocol this service was told to export with.
      expect(new Set(own.map((span) => span.protocol))).toEqual(
        new Set([JSON_SERVICES.includes(subgraph) ? 'http/json' : 'http/protobuf']),
      );
    }
    expect(new Set(spans.filter((span) => span.service === 'gateway').map((span) => span.protocol))).toEqual(new Set(['http/json']));

    // The logs join the trace: the gateway's and each subgraph's lines for this request carry its trace id.
    await vi.waitFor(() => {
      const traced = new Set(logLines.filter(({ line }) => line.trace_id === traceId).map(({ service }) => service));
      expect([...traced].sort()).toEqual(['catalog', 'gateway', 'orders', 'users']);
    }, POLL);
  });

  it('checkout’s call from orders to the catalog’s stock is part of the client’s trace', async () => {
    const traceId = newTraceId();
    await tracedRequest(
      traceId,
      randomBytes(8).toString('hex'),
      'mutation Checkout($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      {
        input: { items: [{ productId, quantity: 1 }] },
      },
      customerToken,
    );
    const spans = await traceFrom(
      traceId,
      ['gateway', 'orders', 'catalog'],
      (received) =>
        ['gateway', 'orders', 'catalog'].every((service) => received.some((span) => span.service === service && span.kind === SERVER)) &&
        received.some((span) => span.service === 'catalog' && /ReserveStock/.test(span.name)),
    );
    const catalogServed = spans.find((span) => span.service === 'catalog' && span.kind === SERVER)!;
    const chain = ancestors(spans, catalogServed);
    // catalog ← orders' HTTP call ← … ← orders' server span ← the gateway.
    expect(chain[0]).toMatchObject({ service: 'orders', kind: CLIENT });
    expect(chain.some((span) => span.service === 'orders' && span.kind === SERVER)).toBe(true);
    expect(chain.at(-1)).toMatchObject({ service: 'gateway', kind: SERVER });
    expect(spans.some((span) => span.service === 'catalog' && /ReserveStock/.test(span.name))).toBe(true);
  });
});

describe('subscriptions', () => {
  it('an event’s delivery is linked to the trace of the mutation that caused it', async () => {
    const client = wsClient(undefined, wsUrl(stack.gateway.url));
    try {
      const feed = collect(client, 'subscription TracedStock($id: ID!) { productUpdated(id: $id) { id stock } }', { id: productId });
      // The subscription is open upstream before the write (its deliveries need a subscriber).
      await vi.waitFor(() => {
        if (!receiver.spans.some((span) => span.service === 'catalog' && span.name.startsWith('subscription TracedStock'))) {
          throw new Error('the catalog has not opened the subscription yet');
        }
      }, POLL);
      const mutationTrace = newTraceId();
      await tracedRequest(
        mutationTrace,
        randomBytes(8).toString('hex'),
        'mutation($id: ID!) { restock(id: $id, quantity: 3) { id } }',
        { id: productId },
        adminToken,
      );
      await feed.waitFor(1);

      const delivery = await vi.waitFor(() => {
        const found = receiver.spans.find(
          (span) => span.name === 'event deliver' && span.links.some((link) => link.traceId === mutationTrace),
        );
        if (!found) throw new Error('no delivery span linked to the mutation yet');
        return found;
      }, POLL);
      // Linked to a span of the mutation's trace, not part of it: the delivery belongs to the subscription's trace.
      const linked = delivery.links[0].spanId;
      const mutationSpans = await traceFrom(mutationTrace, ['gateway', 'catalog'], (received) =>
        received.some((span) => span.spanId === linked),
      );
      expect(mutationSpans.find((span) => span.spanId === linked)?.service).toBe('catalog');
      expect(delivery.traceId).not.toBe(mutationTrace);
      expect(delivery.attributes['messaging.destination.name']).toBe(`product.updated.${productId}`);
      // The subscription's trace began at the gateway, and reached the catalog over the WebSocket.
      const subscriptionSpans = spansOf(delivery.traceId);
      const names = subscriptionSpans.map((span) => `${span.service}:${span.name}`);
      expect(names).toContain('gateway:subscription TracedStock');
      // The catalog sees the gateway's upstream operation (named after the client's by the query planner).
      expect(names.some((name) => name.startsWith('catalog:subscription TracedStock'))).toBe(true);
      expect(subscriptionSpans.find((span) => span.spanId === delivery.parentSpanId)?.service).toBe('catalog');
      feed.unsubscribe();
    } finally {
      await client.dispose();
    }
  });
});

describe('what spans say', () => {
  it('holds no email, phone, token or password, though the run signed up and logged in with them', () => {
    expect(receiver.spans.length).toBeGreaterThan(100);
    const leaks = receiver.spans.flatMap((span) => leaksIn(`${span.name} ${JSON.stringify(span.attributes)}`, [TRACE_PASSWORD]));
    expect(leaks).toEqual([]);
  });
});

describe('without OTLP variables', () => {
  it('nothing is traced: the shared test stack, started without them, returns no traceparent', async () => {
    const response = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: traceparentFor(newTraceId()) },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('traceparent')).toBeNull();
  });
});
