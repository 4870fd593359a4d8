import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphqlData, postGraphQL, type GraphQLResult } from '../scripts/lib/graphql-http.mjs';
import { startService, startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { logInToken } from './helpers.js';

// Subgraphs are stopped here on purpose, so this file runs a stack of its own (own database) with
// short upstream settings: a 1.5 s budget per subgraph fetch, breakers that open after 3 failures
// in a row and probe again after 1 s. A second gateway reaches the catalog through a stand-in
// server the test controls (forward, hang, or answer 503) and that counts what reaches it.
const TIMEOUT_MS = 1500;
const OPEN_MS = 1000;
const UPSTREAM = {
  SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS),
  SUBGRAPH_BREAKER_FAILURES: '3',
  SUBGRAPH_BREAKER_OPEN_MS: String(OPEN_MS),
  SUBGRAPH_RETRIES: '1',
};
const POLL = { timeout: 20_000, interval: 100 };
/** The second gateway's pool to the catalog stand-in. */
const MAX_SOCKETS = 2;

type Service = Awaited<ReturnType<typeof startService>>;
type SubgraphName = 'users' | 'catalog' | 'orders';

let env: Record<string, string>;
let stack: Awaited<ReturnType<typeof startStack>>;
const current: Partial<Record<SubgraphName, Service>> = {};
let adminToken: string;
let customerToken: string;
let orderId: string;
let productIds: string[];

const send = (url: string, query: string, variables: Record<string, unknown> = {}, token?: string) =>
  postGraphQL(url, query, variables, { token });

/** Sends and measures how long the answer took. */
async function timed(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  const started = performance.now();
  const result = await send(url, query, variables, token);
  return { result, ms: performance.now() - started };
}

/** Every error is SUBGRAPH_UNAVAILABLE naming `subgraph`, and gives away no address, code or stack. */
function expectUnavailable(result: GraphQLResult, subgraph: SubgraphName, paths: (string | number)[][]) {
  expect(result.status).toBe(200);
  expect(result.errors?.map((e) => e.path)).toEqual(paths);
  for (const error of result.errors ?? []) {
    expect(error.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');
    expect(error.message).toMatch(new RegExp(`^The ${subgraph} service is unavailable: `));
  }
  expect(JSON.stringify(result.errors)).not.toMatch(/127\.0\.0\.1|localhost|https?:|ECONN|stacktrace|\bat .*\.js/);
}

async function stop(name: SubgraphName): Promise<number> {
  const service = current[name]!;
  await service.stop();
  return service.port;
}

async function restart(name: SubgraphName, port: number): Promise<void> {
  current[name] = await startService(name, {
    ...env,
    PORT: String(port),
    ...(name === 'orders' ? { CATALOG_URL: current.catalog!.url } : {}),
  });
}

/** Waits until `query` answers without errors again (the breaker has probed and closed). */
async function untilHealthy(url: string, query: string, variables: Record<string, unknown> = {}, token?: string) {
  await expect.poll(async () => (await send(url, query, variables, token)).errors ?? [], POLL).toEqual([]);
}

const ME_ORDERS = `{ me { name orders { totalCount edges { node { id items { quantity product { name } } } } } } }`;

beforeAll(async () => {
  const admin = { email: 'outage-admin@test.in', password: randomBytes(12).toString('base64url') };
  env = {
    NODE_ENV: 'test',
    MONGODB_URI: withDatabase(process.env.TEST_MONGODB_URI!, `outages_${Date.now()}`),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  };
  stack = await startStack(env, { gatewayEnv: UPSTREAM });
  Object.assign(current, { users: stack.users, catalog: stack.catalog, orders: stack.orders });
  const url = stack.gateway.url;
  adminToken = await logInToken(admin.email, admin.password, url);
  productIds = [];
  for (const name of ['Outage Lamp', 'Outage Rug']) {
    const input = { sku: `OUT-${randomBytes(4).toString('hex')}`.toUpperCase(), name, category: 'Test', pricePaise: 1000, stock: 50 };
    productIds.push(
      (
        await graphqlData(
          url,
          'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
          { input },
          { token: adminToken },
        )
      ).createProduct.id,
    );
  }
  customerToken = (
    await graphqlData(url, 'mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
      i: { name: 'Outage Tester', email: `outage-${Date.now()}@test.in`, password: 'outage-pass-1' },
    })
  ).signUp.token;
  orderId = (
    await graphqlData(
      url,
      'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
      { input: { items: productIds.map((productId) => ({ productId, quantity: 1 })) } },
      { token: customerToken },
    )
  ).placeOrder.id;
}, 120_000);

afterAll(async () => {
  await Promise.all([stack?.gateway.stop(), ...Object.values(current).map((s) => s?.stop())]);
});

describe('a subgraph down: partial results within the timeout', () => {
  it('users down: what needs the user is null with SUBGRAPH_UNAVAILABLE there; an order still comes with its lines', async () => {
    const url = stack.gateway.url;
    const port = await stop('users');
    try {
      const me = await timed(url, '{ me { name } }', {}, customerToken);
      expect(me.result.data).toEqual({ me: null });
      expectUnavailable(me.result, 'users', [['me']]);
      expect(me.ms).toBeLessThan(TIMEOUT_MS);

      const order = await timed(
        url,
        'query($id: ID!) { order(id: $id) { id items { quantity } user { name } } }',
        { id: orderId },
        customerToken,
      );
      expect(order.result.data).toEqual({ order: { id: orderId, items: [{ quantity: 1 }, { quantity: 1 }], user: null } });
      expectUnavailable(order.result, 'users', [['order', 'user']]);
      expect(order.ms).toBeLessThan(TIMEOUT_MS);
    } finally {
      await restart('users', port);
    }
    await untilHealthy(url, '{ me { name } }', {}, customerToken);
  });

  it('orders down: me keeps its name, me.orders is null with SUBGRAPH_UNAVAILABLE at me.orders', async () => {
    const url = stack.gateway.url;
    const port = await stop('orders');
    try {
      const { result, ms } = await timed(url, ME_ORDERS, {}, customerToken);
      expect(result.data).toEqual({ me: { name: 'Outage Tester', orders: null } });
      expectUnavailable(result, 'orders', [['me', 'orders']]);
      expect(ms).toBeLessThan(TIMEOUT_MS);
    } finally {
      await restart('orders', port);
    }
    await untilHealthy(url, ME_ORDERS, {}, customerToken);
  });

  it('catalog down: the name and the orders with their lines, each product null with its own error; a mutation fails fast', async () => {
    const url = stack.gateway.url;
    const port = await stop('catalog');
    try {
      const { result, ms } = await timed(url, ME_ORDERS, {}, customerToken);
      expect(result.data).toEqual({
        me: {
          name: 'Outage Tester',
          orders: {
            totalCount: 1,
            edges: [
              {
                node: {
                  id: orderId,
                  items: [
                    { quantity: 1, product: null },
                    { quantity: 1, product: null },
                  ],
                },
              },
            ],
          },
        },
      });
      const item = (i: number) => ['me', 'orders', 'edges', 0, 'node', 'items', i, 'product'];
      expectUnavailable(result, 'catalog', [item(0), item(1)]);
      expect(ms).toBeLessThan(TIMEOUT_MS);

      const restock = await timed(url, 'mutation($id: ID!) { restock(id: $id, quantity: 1) { stock } }', { id: productIds[0] }, adminToken);
      expect(restock.result.data).toBeNull();
      expectUnavailable(restock.result, 'catalog', [['restock']]);
      expect(restock.ms).toBeLessThan(TIMEOUT_MS);
    } finally {
      await restart('catalog', port);
    }
    await untilHealthy(url, ME_ORDERS, {}, customerToken);
  });
});

/** An HTTP server standing in front of the catalog: forwards, hangs or answers 503, and counts what it gets. */
function catalogStandIn() {
  const state = { mode: 'forward' as 'forward' | 'hang' | '503' | '401', queries: 0, mutations: 0, connections: 0, mostConnections: 0 };
  const held = new Set<http.ServerResponse>();
  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const query = String(JSON.parse(body).query ?? '');
    if (/^\s*mutation\b/.test(query)) state.mutations++;
    else state.queries++;
    if (state.mode === 'hang') {
      held.add(res);
      return;
    }
    if (state.mode === '401') {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"message":"credential rejected by 10.0.0.7"}]}');
      return;
    }
    if (state.mode === '503') {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('catalog at 10.0.0.7 is restarting');
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
    );
    const answer = await fetch(current.catalog!.url, { method: 'POST', headers: headers as Record<string, string>, body });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(await answer.text());
  };
  // A failure of the stand-in itself shows up as a broken connection, which the test would see.
  const server = http.createServer((req, res) => void serve(req, res).catch(() => res.destroy()));
  server.on('connection', (socket) => {
    state.connections++;
    state.mostConnections = Math.max(state.mostConnections, state.connections);
    socket.once('close', () => state.connections--);
  });
  return {
    state,
    async listen(): Promise<string> {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    },
    release() {
      for (const res of held) res.destroy();
      held.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a catalog that hangs or keeps failing (behind a stand-in)', () => {
  const standIn = catalogStandIn();
  let gateway: Service;
  const breakers = async () =>
    ((await (await fetch(new URL('/health', gateway.url))).json()) as { subgraphBreakers: Record<string, string> }).subgraphBreakers;

  beforeAll(async () => {
    const catalogUrl = await standIn.listen();
    gateway = await startService('gateway', {
      ...env,
      ...UPSTREAM,
      PORT: '0',
      USERS_URL: current.users!.url,
      ORDERS_URL: current.orders!.url,
      CATALOG_URL: catalogUrl,
      SUBGRAPH_MAX_SOCKETS: String(MAX_SOCKETS),
    });
  }, 60_000);

  afterAll(async () => {
    await gateway?.stop();
    await standIn.close();
  });

  it('a hanging catalog: the order comes within the configured timeout, with errors at each product', async () => {
    await untilHealthy(gateway.url, '{ product(id: "000000000000000000000000") { name } }');
    standIn.state.mode = 'hang';
    try {
      const query = 'query($id: ID!) { order(id: $id) { id items { quantity product { name } } } }';
      const { result, ms } = await timed(gateway.url, query, { id: orderId }, customerToken);
      expect(result.data).toEqual({
        order: {
          id: orderId,
          items: [
            { quantity: 1, product: null },
            { quantity: 1, product: null },
          ],
        },
      });
      expectUnavailable(result, 'catalog', [
        ['order', 'items', 0, 'product'],
        ['order', 'items', 1, 'product'],
      ]);
      expect(result.errors?.[0].message).toContain(`did not answer within ${TIMEOUT_MS} ms`);
      // It waited for the budget (not some other failure) and not much longer.
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(ms).toBeLessThan(TIMEOUT_MS + 2000);
    } finally {
      standIn.release();
      standIn.state.mode = 'forward';
    }
    await untilHealthy(gateway.url, '{ product(id: "000000000000000000000000") { name } }');
  });

  it('opens at most SUBGRAPH_MAX_SOCKETS connections to a hanging catalog; calls beyond them wait inside the same budget', async () => {
    standIn.state.mode = 'hang';
    const before = { ...standIn.state };
    standIn.state.mostConnections = standIn.state.connections;
    try {
      const started = performance.now();
      const burst = Promise.all(
        productIds.flatMap((id) => [id, id, id]).map((id) => send(gateway.url, 'query($id: ID!) { product(id: $id) { name } }', { id })),
      );
      // Halfway through the budget all six calls are out: two on the pool's sockets, four waiting.
      // (Later, as the deadlines cut the sockets, the stand-in may still count a closing one.)
      await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 2));
      expect(standIn.state.queries - before.queries).toBe(MAX_SOCKETS);
      expect(standIn.state.mostConnections).toBeLessThanOrEqual(MAX_SOCKETS);
      const answers = await burst;
      const ms = performance.now() - started;
      for (const answer of answers) expectUnavailable(answer, 'catalog', [['product']]);
      expect(ms).toBeLessThan(TIMEOUT_MS + 2000);
    } finally {
      standIn.release();
      standIn.state.mode = 'forward';
      await untilHealthy(gateway.url, '{ product(id: "000000000000000000000000") { name } }');
    }
  });

  it('a mutation is sent once, a query retried once; the breaker opens, fails fast without calling, and closes once the catalog is back', async () => {
    standIn.state.mode = '503';
    const counted = { ...standIn.state };

    const restock = await send(
      gateway.url,
      'mutation($id: ID!) { restock(id: $id, quantity: 1) { stock } }',
      { id: productIds[0] },
      adminToken,
    );
    expectUnavailable(restock, 'catalog', [['restock']]);
    expect(restock.errors?.[0].message).toContain('answered HTTP 503');
    expect(JSON.stringify(restock)).not.toContain('10.0.0.7');
    expect(standIn.state.mutations - counted.mutations).toBe(1);

    const product = await send(gateway.url, 'query($id: ID!) { product(id: $id) { name } }', { id: productIds[0] });
    expect(product.data).toEqual({ product: null });
    expectUnavailable(product, 'catalog', [['product']]);
    expect(standIn.state.queries - counted.queries).toBe(2);

    // Three failed calls in a row (the mutation, the query and its retry): open.
    expect((await breakers()).catalog).toBe('open');
    const before = standIn.state.queries;
    const fast = await timed(gateway.url, 'query($id: ID!) { product(id: $id) { name } }', { id: productIds[0] });
    expectUnavailable(fast.result, 'catalog', [['product']]);
    expect(fast.result.errors?.[0].message).toContain('failed repeatedly');
    expect(standIn.state.queries).toBe(before);
    // Other subgraphs are untouched by the catalog's breaker.
    expect((await send(gateway.url, '{ me { name } }', {}, customerToken)).data).toEqual({ me: { name: 'Outage Tester' } });

    standIn.state.mode = 'forward';
    await untilHealthy(gateway.url, 'query($id: ID!) { product(id: $id) { name } }', { id: productIds[0] });
    expect((await breakers()).catalog).toBe('closed');
    expect(standIn.state.queries).toBeGreaterThan(before);
  });

  it('a subgraph refusing with 4xx: its code is passed on without its address or its answer, and it is not taken as down', async () => {
    standIn.state.mode = '401';
    try {
      const result = await send(gateway.url, 'query($id: ID!) { product(id: $id) { name } }', { id: productIds[0] });
      expect(result.data).toEqual({ product: null });
      expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['UNAUTHENTICATED']);
      expect(result.errors?.[0].extensions).not.toHaveProperty('response');
      expect(JSON.stringify(result)).not.toMatch(/10\.0\.0\.7|127\.0\.0\.1|https?:/);
      expect((await breakers()).catalog).toBe('closed');
    } finally {
      standIn.state.mode = 'forward';
    }
  });
});
