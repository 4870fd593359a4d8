import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { adminToken, createProduct, errorCodes, gql, gqlOk, PLACE_ORDER, signUpCustomer } from './helpers.js';
import { bucketsOf, scrape, valueOf, type MetricFamily } from './prometheus-text.js';

type Service = 'gateway' | 'users' | 'catalog' | 'orders';
const SERVICES: Service[] = ['gateway', 'users', 'catalog', 'orders'];
const urlOf = (service: Service) => (service === 'gateway' ? inject('gatewayUrl') : inject('subgraphUrls')[service]);

async function scrapeAll(): Promise<Record<Service, MetricFamily[]>> {
  const entries = await Promise.all(SERVICES.map(async (service) => [service, await scrape(urlOf(service))] as const));
  return Object.fromEntries(entries) as Record<Service, MetricFamily[]>;
}

/** The lines every service logged for one request id, from the run's service log file. */
function linesOfRequest(requestId: string): { service: string; msg: string; operation?: string }[] {
  const file = inject('serviceLogFile');
  if (!file) throw new Error('SERVICE_LOG_FILE is not set: run the integration tests with `npm test`, which collects every service log');
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes(requestId))
    .map((line) => JSON.parse(line) as { service: string; msg: string; request_id: string; operation?: string })
    .filter((entry) => entry.request_id === requestId);
}

describe('GET /metrics', () => {
  it('is Prometheus text on every service, and moves as known traffic says', async () => {
    const admin = await adminToken();
    const product = await createProduct(admin, { stock: 50 });
    const before = await scrapeAll();

    for (let i = 0; i < 3; i++) await gqlOk('query ObsListing { products(first: 3) { edges { node { id name } } } }');
    for (let i = 0; i < 2; i++) await gqlOk('query ObsProduct($id: ID!) { product(id: $id) { id name stock } }', { id: product.id });
    const refused = await gql('query ObsBadId { product(id: "not-an-id") { id } }');
    const [refusedCode] = errorCodes(refused);
    expect(refusedCode).toBe('BAD_USER_INPUT');
    await gqlOk('mutation ObsRestock($id: ID!) { restock(id: $id, quantity: 5) { id } }', { id: product.id }, admin);

    const after = await scrapeAll();
    const delta = (service: Service, name: string, labels: Record<string, string> = {}) =>
      valueOf(after[service], name, labels) - valueOf(before[service], name, labels);

    // The gateway: requests, latency and errors by operation name, type and the code the client got.
    expect(delta('gateway', 'graphql_requests_total', { operation: 'ObsListing', type: 'query' })).toBe(3);
    expect(delta('gateway', 'graphql_request_duration_seconds', { operation: 'ObsListing', type: 'query' })).toBe(3);
    expect(delta('gateway', 'graphql_requests_total', { operation: 'ObsRestock', type: 'mutation' })).toBe(1);
    expect(delta('gateway', 'graphql_errors_total', { operation: 'ObsBadId', code: 'BAD_USER_INPUT' })).toBe(1);
    expect(delta('gateway', 'graphql_errors_total', { operation: 'ObsListing' })).toBe(0);
    const buckets = bucketsOf(after.gateway, 'graphql_request_duration_seconds', { operation: 'ObsListing' });
    expect(buckets.length).toBeGreaterThan(5);
    // Cumulative: each bucket holds at least the one below it, and +Inf holds every request.
    for (let i = 1; i < buckets.length; i++) expect(buckets[i][1]).toBeGreaterThanOrEqual(buckets[i - 1][1]);
    expect(buckets.at(-1)).toEqual([Infinity, valueOf(after.gateway, 'graphql_request_duration_seconds', { operation: 'ObsListing' })]);
    // Its calls to the catalog, by outcome.
    expect(delta('gateway', 'gateway_subgraph_request_duration_seconds', { subgraph: 'catalog', outcome: 'ok' })).toBeGreaterThanOrEqual(6);
    expect(valueOf(after.gateway, 'gateway_subgraph_breaker_state', { subgraph: 'catalog' })).toBe(0);

    // The catalog served the gateway's fetches, batched its by-id loads and timed its MongoDB commands.
    expect(delta('catalog', 'graphql_requests_total', { type: 'query' })).toBeGreaterThanOrEqual(6);
    expect(delta('catalog', 'graphql_requests_total', { type: 'mutation' })).toBeGreaterThanOrEqual(1);
    expect(delta('catalog', 'dataloader_batch_size', { loader: 'ProductById' })).toBeGreaterThanOrEqual(2);
    // The listing asked three times is looked up in the shared cache three times (hits or misses:
    // other tests' writes on this shared stack may drop it meanwhile) and read from the database at least once.
    expect(delta('catalog', 'mongodb_command_duration_seconds', { command: 'find', collection: 'products' })).toBeGreaterThanOrEqual(1);
    expect(delta('catalog', 'cache_requests_total', { cache: 'product_listing' })).toBeGreaterThanOrEqual(3);
    expect(delta('catalog', 'events_recorded_total')).toBeGreaterThanOrEqual(1);
    await expect
      .poll(
        async () => valueOf(await scrape(urlOf('catalog')), 'events_published_total') - valueOf(before.catalog, 'events_published_total'),
      )
      .toBeGreaterThanOrEqual(1);

    // Saturation on every service.
    for (const service of SERVICES) {
      expect(valueOf(after[service], 'process_resident_memory_bytes'), service).toBeGreaterThan(0);
      expect(
        after[service].some((f) => f.name === 'nodejs_eventloop_lag_seconds'),
        service,
      ).toBe(true);
      for (const family of after[service]) for (const sample of family.samples) expect(sample.labels.service, sample.name).toBe(service);
    }
  });
});

describe('request ids', () => {
  it("carry the client's X-Request-Id to the log lines of the gateway and every subgraph it reached, and back", async () => {
    const admin = await adminToken();
    const product = await createProduct(admin, { stock: 20 });
    const customer = await signUpCustomer();

    // A placement: the gateway calls orders, and orders calls the catalog to reserve stock.
    const placing = `obs-place-${randomUUID()}`;
    const placed = await postGraphQL(
      inject('gatewayUrl'),
      PLACE_ORDER,
      { input: { items: [{ productId: product.id, quantity: 1 }] } },
      { token: customer.token, headers: { 'x-request-id': placing } },
    );
    expect(placed.errors).toBeUndefined();
    await expect.poll(() => new Set(linesOfRequest(placing).map((l) => l.service))).toEqual(new Set(['gateway', 'orders', 'catalog']));

    // A page crossing all three subgraphs.
    const reading = `obs-read-${randomUUID()}`;
    const response = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}`, 'x-request-id': reading },
      body: JSON.stringify({
        query: 'query ObsMyOrders { me { name orders(first: 5) { edges { node { items { quantity product { name } } } } } } }',
      }),
    });
    expect(response.headers.get('x-request-id')).toBe(reading);
    expect(((await response.json()) as any).data.me.orders.edges).toHaveLength(1);
    await expect.poll(() => new Set(linesOfRequest(reading).map((l) => l.service))).toEqual(new Set(SERVICES));
    const gatewayLine = linesOfRequest(reading).find((l) => l.service === 'gateway');
    expect(gatewayLine).toMatchObject({ msg: 'request served', operation: 'ObsMyOrders' });
  });
});
