import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import fc from 'fast-check';
import { startService } from '../scripts/lib/processes.mjs';
import { asGateway } from './helpers.js';

// Thousands of malformed requests, generated, against a gateway and a subgraph of this file's own
// (so their logs can be read): every answer must be a well-formed client error (or 200 with errors
// where the spec says so), never a 5xx, a stack trace or an error-level log line, and both
// services must be healthy afterwards.

let gateway: Awaited<ReturnType<typeof startService>>;
let catalog: Awaited<ReturnType<typeof startService>>;

beforeAll(async () => {
  const urls = inject('subgraphUrls');
  catalog = await startService('catalog', { PORT: '0', NODE_ENV: 'test', MONGODB_URI: inject('mongodbUri') });
  gateway = await startService('gateway', {
    PORT: '0',
    NODE_ENV: 'test',
    USERS_URL: urls.users,
    CATALOG_URL: catalog.url,
    ORDERS_URL: urls.orders,
  });
}, 60_000);
afterAll(async () => {
  await gateway?.stop();
  await catalog?.stop();
});

interface FuzzRequest {
  method: 'GET' | 'POST';
  contentType?: string;
  body?: string;
  search?: string;
}

const post = (contentType: string, body: string): FuzzRequest => ({ method: 'POST', contentType, body });
const operation = (query: unknown, variables?: unknown) => post('application/json', JSON.stringify({ query, variables }));

/** Pieces of GraphQL, put together in any order: mostly invalid documents, some valid ones. */
const graphqlish = fc
  .array(
    fc.constantFrom(
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      'products',
      'product',
      'me',
      'orders',
      'id',
      'name',
      ':',
      '$id',
      'first:',
      '100',
      '-1',
      '"x"',
      '"6b0a00000000000000000000"',
      '...',
      'on',
      'Product',
      '@include(if: true)',
      'query',
      'mutation',
      'subscription',
      'fragment',
      '#',
      '\n',
      'edges',
      'node',
      'totalCount',
      'ID!',
      '__typename',
      '__schema',
    ),
    { maxLength: 80 },
  )
  .map((tokens) => tokens.join(' '));

const requests: fc.Arbitrary<FuzzRequest> = fc.oneof(
  // Any JSON at all, and JSON that is not an object.
  fc.jsonValue({ maxDepth: 5 }).map((value) => post('application/json', JSON.stringify(value))),
  // Broken JSON.
  fc.string({ maxLength: 300 }).map((text) => post('application/json', `{"query": ${text}`)),
  // Deeply nested JSON.
  fc.integer({ min: 50, max: 50_000 }).map((n) => post('application/json', '['.repeat(n) + ']'.repeat(n))),
  fc.integer({ min: 50, max: 20_000 }).map((n) => post('application/json', '{"query":'.repeat(n) + '1' + '}'.repeat(n))),
  // Wrong content types.
  fc.record({
    method: fc.constant('POST' as const),
    contentType: fc.constantFrom(
      'text/plain',
      'application/xml',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded',
      'application/graphql',
    ),
    body: fc.string({ maxLength: 300 }),
  }),
  // Query fields of the wrong type, and documents that barely parse.
  fc.jsonValue({ maxDepth: 3 }).map((query) => operation(query)),
  graphqlish.map((query) => operation(query)),
  // Deep selections.
  fc
    .integer({ min: 5, max: 5_000 })
    .map((n) => operation(`{ ${'me { orders { edges { node { user '.repeat(n)} id ${'} } } } '.repeat(n)} }`)),
  // Invalid variables, and ids of every wrong type.
  fc.jsonValue({ maxDepth: 3 }).map((variables) => operation('query($id: ID!) { product(id: $id) { id name } }', variables)),
  fc
    .jsonValue({ maxDepth: 2 })
    .map((id) => operation('query($id: ID!, $n: Int) { product(id: $id) { id } products(first: $n) { totalCount } }', { id, n: id })),
  // Unicode edge cases: any code unit, lone surrogates included, in documents and variables.
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => operation(`{ products(search: ${JSON.stringify(text)}) { totalCount } }`)),
  fc
    .string({ unit: 'binary', maxLength: 200 })
    .map((text) => operation('query($s: String) { products(search: $s) { totalCount } }', { s: text })),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => post('application/json', `{"query": "${text}"}`)),
  // Large strings, under and over the body limit.
  fc.integer({ min: 10_000, max: 1_200_000 }).map((n) => operation(`{ products(search: "${'x'.repeat(n)}") { totalCount } }`)),
  // Persisted-query extensions with hashes that do not match (or are not hashes).
  fc.tuple(fc.string({ maxLength: 80 }), fc.boolean()).map(([hash, withQuery]) =>
    post(
      'application/json',
      JSON.stringify({
        ...(withQuery ? { query: '{ __typename }' } : {}),
        extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
      }),
    ),
  ),
  // GET with anything in the query string.
  fc.string({ maxLength: 200 }).map((search) => ({ method: 'GET' as const, search: `?query=${encodeURIComponent(search)}` })),
  fc.string({ maxLength: 200 }).map((search) => ({ method: 'GET' as const, search: `?${search}` })),
);

/** Sends one generated request and checks the answer is a well-formed client error (or a result). */
async function check(url: string, request: FuzzRequest, extraHeaders: Record<string, string>): Promise<void> {
  const response = await fetch(url + (request.search ?? ''), {
    method: request.method,
    headers: { ...extraHeaders, ...(request.contentType ? { 'content-type': request.contentType } : {}) },
    body: request.body,
  });
  const text = await response.text();
  const context = `${request.method} ${request.contentType ?? ''} ${(request.body ?? request.search ?? '').slice(0, 200)} → ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, context).toBeGreaterThanOrEqual(200);
  expect(response.status, context).toBeLessThan(500);
  // A stack frame, a source path or a module path would be a leak.
  expect(text, context).not.toMatch(/\bat [\w$.<>]+ \(|\/work\/|node_modules|\.ts:\d+/);
  const body = JSON.parse(text) as { data?: unknown; errors?: { message?: unknown; extensions?: { code?: unknown } }[] };
  if (response.status !== 200 || body.errors) {
    expect(Array.isArray(body.errors) && body.errors.length > 0, context).toBe(true);
    for (const error of body.errors!) {
      expect(typeof error.message, context).toBe('string');
      expect(typeof error.extensions?.code, context).toBe('string');
      expect(error.extensions?.code, context).not.toBe('INTERNAL_SERVER_ERROR');
    }
  }
}

const errorLines = (logs: string[]) => logs.filter((line) => /"level":"error"/.test(line));

/**
 * Sends `numRuns` generated requests to a service, then checks it stayed healthy and logged no
 * errors. `headers` come with each request (a subgraph is fuzzed as the gateway would call it, so
 * the requests get past its trust boundary and reach its parsing).
 */
async function fuzz(
  service: Awaited<ReturnType<typeof startService>>,
  numRuns: number,
  headers: () => Promise<Record<string, string>> = async () => ({}),
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(requests, async (request) => check(service.url, request, await headers())),
    { numRuns },
  );
  expect((await fetch(new URL('/health', service.url))).status).toBe(200);
  expect(errorLines(service.logs)).toEqual([]);
  expect(service.child.exitCode).toBeNull();
}

describe('malformed requests', () => {
  it('get well-formed client errors from the gateway, and it stays healthy', () => fuzz(gateway, 1_500), 240_000);

  it('get well-formed client errors from a subgraph, and it stays healthy', () => fuzz(catalog, 500, () => asGateway('catalog')), 240_000);
});
