import { execFileSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { adminToken, createProduct, signUpCustomer } from './helpers.js';

// Automatic persisted queries (APQ) over GET and POST, shared in Redis by every gateway instance;
// the Cache-Control header the gateway makes of its subgraphs' policies; and the safelist mode,
// which serves only the operations of a manifest made by `npm run persisted:register`.

const root = resolve(import.meta.dirname, '..');
type Service = Awaited<ReturnType<typeof startService>>;

interface Answer {
  status: number;
  cacheControl: string | null;
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

interface Operation {
  query?: string;
  variables?: Record<string, unknown>;
  /** The APQ hash to send (extensions.persistedQuery); none: a plain request. */
  hash?: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A document no other test (or earlier run sharing Redis) has registered: a fresh alias makes it new. */
const freshProductQuery = () => `query($id: ID!) { p_${randomUUID().replaceAll('-', '')}: product(id: $id) { id name } }`;

async function answerOf(response: Response): Promise<Answer> {
  const body = (await response.json()) as { data?: unknown; errors?: Answer['errors'] };
  return { status: response.status, cacheControl: response.headers.get('cache-control'), ...body };
}

function extensionsOf({ hash }: Operation) {
  return hash ? { persistedQuery: { version: 1, sha256Hash: hash } } : undefined;
}

/**
 * A GET as a browser app or CDN-fronted client sends it. `apollo-require-preflight` is the non-simple
 * header Apollo Server's CSRF prevention asks of GETs (preflight: false leaves it out).
 */
async function get(url: string, operation: Operation, { token, preflight = true }: { token?: string; preflight?: boolean } = {}) {
  const search = new URLSearchParams();
  if (operation.query !== undefined) search.set('query', operation.query);
  if (operation.variables) search.set('variables', JSON.stringify(operation.variables));
  const extensions = extensionsOf(operation);
  if (extensions) search.set('extensions', JSON.stringify(extensions));
  const headers: Record<string, string> = {};
  if (preflight) headers['apollo-require-preflight'] = 'true';
  if (token) headers.authorization = `Bearer ${token}`;
  return answerOf(await fetch(`${url}?${search.toString()}`, { headers }));
}

async function post(url: string, operation: Operation, token?: string) {
  const body = { query: operation.query, variables: operation.variables ?? {}, extensions: extensionsOf(operation) };
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return answerOf(await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) }));
}

const codes = (answer: Answer) => (answer.errors ?? []).map((error) => error.extensions?.code);

/** The max-age and scope a Cache-Control header grants a shared cache; null when it grants none. */
function publicMaxAge(header: string | null): number | null {
  const directives = (header ?? '').split(',').map((d) => d.trim().toLowerCase());
  if (!directives.includes('public')) return null;
  const maxAge = directives.find((d) => d.startsWith('max-age='));
  return maxAge ? Number(maxAge.slice('max-age='.length)) : null;
}

/** Never cacheable by a shared cache (a CDN): no-store, or private. */
function expectNotShareable(header: string | null) {
  expect(header).not.toBeNull();
  expect(publicMaxAge(header)).toBeNull();
  expect(header).toMatch(/no-store|private/);
}

/** A gateway of its own, pointed at the shared stack's subgraphs (and Redis, with the run's REDIS_PREFIX). */
function startGateway(env: Record<string, string> = {}) {
  const urls = inject('subgraphUrls');
  return startService('gateway', {
    PORT: '0',
    NODE_ENV: 'test',
    USERS_URL: urls.users,
    CATALOG_URL: urls.catalog,
    ORDERS_URL: urls.orders,
    ...env,
  });
}

let productId: string;
let admin: string;

beforeAll(async () => {
  admin = await adminToken();
  productId = (await createProduct(admin)).id;
});

describe('automatic persisted queries', () => {
  const gateways: Service[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.stop()));
  });

  it('over GET: an unknown hash is a miss, the document with its hash registers it, then the hash alone is served', async () => {
    const url = inject('gatewayUrl');
    const query = freshProductQuery();
    const hash = sha256(query);
    const variables = { id: productId };

    const miss = await get(url, { hash, variables });
    expect(codes(miss)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    expect(miss.data).toBeUndefined();

    const registered = await get(url, { query, hash, variables });
    expect(registered.errors).toBeUndefined();
    expect(Object.values(registered.data)).toEqual([{ id: productId, name: 'Test Thali Set' }]);

    // No document in the request at all: the gateway found it by its hash.
    const hit = await get(url, { hash, variables });
    expect(hit.errors).toBeUndefined();
    expect(hit.data).toEqual(registered.data);
  });

  it('over POST: the same protocol, and a hash registered by POST is served over GET', async () => {
    const url = inject('gatewayUrl');
    const query = freshProductQuery();
    const hash = sha256(query);
    const variables = { id: productId };

    expect(codes(await post(url, { hash, variables }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await post(url, { query, hash, variables });
    expect(registered.errors).toBeUndefined();
    const hit = await post(url, { hash, variables });
    expect(hit.errors).toBeUndefined();
    expect(hit.data).toEqual(registered.data);
    expect((await get(url, { hash, variables })).data).toEqual(registered.data);
  });

  it('refuses a document sent with a hash that is not its own', async () => {
    const query = freshProductQuery();
    const answer = await post(inject('gatewayUrl'), { query, hash: sha256(`${query} `), variables: { id: productId } });
    expect(answer.status).toBe(400);
    expect(answer.errors?.[0].message).toMatch(/sha does not match/);
  });

  it('a second gateway instance serves a hash registered through the first (the store is Redis)', async () => {
    const second = await startGateway();
    gateways.push(second);
    const query = freshProductQuery();
    const hash = sha256(query);
    const variables = { id: productId };
    // Control: the second instance does not know a hash nobody registered.
    expect(codes(await get(second.url, { hash, variables }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);

    expect((await get(inject('gatewayUrl'), { query, hash, variables })).errors).toBeUndefined();
    const hit = await get(second.url, { hash, variables });
    expect(hit.errors).toBeUndefined();
    expect(Object.values(hit.data)).toEqual([{ id: productId, name: 'Test Thali Set' }]);
  });

  it('without Redis, a request carrying its document is still served and a bare hash is only a miss', async () => {
    const lonely = await startGateway({ REDIS_URL: 'redis://127.0.0.1:1' });
    gateways.push(lonely);
    const query = freshProductQuery();
    const hash = sha256(query);
    const variables = { id: productId };
    const full = await post(lonely.url, { query, hash, variables });
    expect(full.status).toBe(200);
    expect(Object.values(full.data)).toEqual([{ id: productId, name: 'Test Thali Set' }]);
    const bare = await get(lonely.url, { hash, variables });
    expect(codes(bare)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });

  it('keeps GET for queries: a mutation over GET is refused, even by hash', async () => {
    const url = inject('gatewayUrl');
    const mutation = `mutation LogOut${randomUUID().replaceAll('-', '')} { logOut }`;
    const answer = await get(url, { query: mutation, hash: sha256(mutation) });
    expect(answer.status).toBe(405);
    expect(codes(answer)).toEqual(['BAD_REQUEST']);
    expect(answer.errors?.[0].message).toMatch(/only support query operations/);
    expect(answer.data).toBeUndefined();
  });

  it('keeps CSRF prevention for GET: a hashed GET without a non-simple header is refused', async () => {
    const query = freshProductQuery();
    const hash = sha256(query);
    await get(inject('gatewayUrl'), { query, hash, variables: { id: productId } });
    const answer = await get(inject('gatewayUrl'), { hash, variables: { id: productId } }, { preflight: false });
    expect(answer.status).toBe(400);
    expect(answer.data).toBeUndefined();
    expect(answer.errors?.[0].message).toMatch(/CSRF|preflight/i);
  });
});

describe('Cache-Control of gateway responses', () => {
  const url = () => inject('gatewayUrl');

  it('a public catalog query over GET may be kept by a CDN for the shortest maxAge of its fields', async () => {
    const page = await get(url(), {
      query: 'query($id: ID!) { product(id: $id) { id name formattedPrice } }',
      variables: { id: productId },
    });
    expect(page.errors).toBeUndefined();
    expect(publicMaxAge(page.cacheControl)).toBe(60);

    const listing = await get(url(), {
      query: '{ products(first: 5) { totalCount edges { node { id name } } pageInfo { hasNextPage } } }',
    });
    expect(listing.errors).toBeUndefined();
    expect(publicMaxAge(listing.cacheControl)).toBe(60);

    // Stock changes with every order: asking for it shortens the whole response's life.
    const withStock = await get(url(), { query: 'query($id: ID!) { product(id: $id) { id stock } }', variables: { id: productId } });
    expect(publicMaxAge(withStock.cacheControl)).toBe(10);
  });

  it("a user's own data is never kept by a shared cache", async () => {
    const customer = await signUpCustomer();
    const me = await get(url(), { query: '{ me { id name city } }' }, { token: customer.token });
    expect(me.data.me.id).toBe(customer.user.id);
    expectNotShareable(me.cacheControl);

    const orders = await get(url(), { query: '{ me { orders(first: 5) { totalCount } } }' }, { token: customer.token });
    expect(orders.errors).toBeUndefined();
    expectNotShareable(orders.cacheControl);
  });

  it('a response mixing public catalog data with the user is not shareable as a whole', async () => {
    const customer = await signUpCustomer();
    const mixed = await get(
      url(),
      { query: 'query($id: ID!) { product(id: $id) { id name } me { id name } }', variables: { id: productId } },
      { token: customer.token },
    );
    expect(mixed.errors).toBeUndefined();
    expect(mixed.data.product.id).toBe(productId);
    expect(mixed.data.me.id).toBe(customer.user.id);
    expectNotShareable(mixed.cacheControl);
  });

  it('a mutation answers no-store, even one returning a cacheable type', async () => {
    const answer = await post(
      url(),
      { query: 'mutation($id: ID!) { restock(id: $id, quantity: 1) { id name } }', variables: { id: productId } },
      admin,
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data.restock.id).toBe(productId);
    expect(answer.cacheControl).toBe('no-store');
  });

  it('an answer with errors is never public, partial data or none', async () => {
    const badId = await get(url(), { query: '{ product(id: "not-an-id") { id name } }' });
    expect(codes(badId)).toEqual(['BAD_USER_INPUT']);
    expectNotShareable(badId.cacheControl);

    const invalid = await get(url(), { query: '{ product(id: "x") { id nope } }' });
    expect(invalid.status).toBe(400);
    expectNotShareable(invalid.cacheControl);
  });
});

describe('PERSISTED_QUERIES=safelist', () => {
  let dir: string;
  let gateway: Service;
  let manifest: { operations: { id: string; name: string; body: string }[] };
  const operation = (name: string) => {
    const found = manifest.operations.find((op) => op.name === name);
    if (!found) throw new Error(`the example client's manifest has no ${name}`);
    return found;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'safelist-'));
    const manifestPath = join(dir, 'manifest.json');
    // The manifest as a deployment makes it: the register script over the example client's operations.
    execFileSync(
      process.execPath,
      [join(root, 'scripts/persisted-register.mjs'), join(root, 'clients/example/operations'), '--out', manifestPath],
      {
        cwd: root,
      },
    );
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    gateway = await startGateway({ PERSISTED_QUERIES: 'safelist', PERSISTED_QUERIES_MANIFEST: manifestPath });
  });

  afterAll(async () => {
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves a registered operation by its id over GET, cacheable as its fields allow', async () => {
    const answer = await get(gateway.url, { hash: operation('ProductPage').id, variables: { id: productId } });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.product).toMatchObject({ id: productId, name: 'Test Thali Set' });
    expect(publicMaxAge(answer.cacheControl)).toBe(10);
  });

  it('serves a registered operation sent as its full document', async () => {
    const answer = await post(gateway.url, { query: operation('ProductPage').body, variables: { id: productId } });
    expect(answer.errors).toBeUndefined();
    expect(answer.data.product.id).toBe(productId);
  });

  it('refuses an unregistered operation, by document or by hash, with PERSISTED_QUERY_NOT_IN_LIST', async () => {
    const query = '{ products(first: 1) { totalCount } }';
    const byDocument = await post(gateway.url, { query });
    expect(byDocument.status).toBe(400);
    expect(codes(byDocument)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    expect(byDocument.errors?.[0].message).toMatch(/persisted:register/);
    expect(byDocument.data).toBeUndefined();
    expectNotShareable(byDocument.cacheControl);

    // Not registerable as an APQ either: sending the document with its hash changes nothing.
    const withHash = await get(gateway.url, { query, hash: sha256(query) });
    expect(codes(withHash)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    const byHash = await get(gateway.url, { hash: sha256(query) });
    expect(codes(byHash)).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });

  it('refuses an unregistered subscription over an event stream too', async () => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', variables: { id: productId } }),
    });
    const text = await response.text();
    const event = text.split('\n').find((line) => line.startsWith('data: {'));
    expect(event, text).toBeDefined();
    const payload = JSON.parse(event!.slice('data: '.length)) as Answer;
    expect(codes({ ...payload, status: response.status, cacheControl: null })).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
  });
});
