import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopChild } from '../scripts/lib/child-process.mjs';
import { graphqlData, postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { startLocalDb, withDatabase } from '../scripts/lib/localdb.mjs';
import { startStack } from '../scripts/lib/processes.mjs';

// The database going away and coming back: this file starts a private local database and a full
// stack against it, stops the database (its process is killed, as in a crash), and starts it again
// on the same port with the same files, as a restarted database server would come back.

/** Well under the 10 s a buffered command or the driver's default selection would take (30 s). */
const FAIL_FAST_MS = 3_000;
/** How long everything may take to answer again once the database is back. */
const RECOVERY = { timeout: 20_000, interval: 200 };

let dataDir: string;
let db: Awaited<ReturnType<typeof startLocalDb>>;
let listenAddress: string;
let stack: Awaited<ReturnType<typeof startStack>>;
let adminToken: string;
let customerToken: string;
let productId: string;

const gateway = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  postGraphQL(stack.gateway.url, query, variables, { token });
const ok = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  graphqlData(stack.gateway.url, query, variables, { token });

const COUNT_PRODUCTS = '{ products(first: 1) { totalCount } }';
const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const placeOrder = () => gateway(PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, customerToken);
const subgraphs = () => [stack.users, stack.catalog, stack.orders];
const readyStatus = async (url: string) => (await fetch(new URL('/ready', url))).status;

/** Runs `send` and returns its result with how long it took. */
async function timed<T>(send: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await send();
  return { result, ms: Date.now() - started };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'supergraph-outage-'));
  db = await startLocalDb(dataDir, () => {});
  listenAddress = new URL(db.uri).host;
  const admin = { email: 'outage-admin@test.in', password: randomBytes(12).toString('base64url') };
  stack = await startStack({
    NODE_ENV: 'test',
    MONGODB_URI: withDatabase(db.uri, 'outage'),
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
  });
  adminToken = (
    await ok('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: admin.email, p: admin.password })
  ).logIn.token;
  const input = {
    sku: `OUT-${randomBytes(4).toString('hex')}`.toUpperCase(),
    name: 'Outage Lamp',
    category: 'Test',
    pricePaise: 1000,
    stock: 100,
  };
  productId = (await ok('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken))
    .createProduct.id;
  customerToken = (
    await ok('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: {
        name: 'Outage Customer',
        email: `outage-${randomBytes(4).toString('hex')}@test.in`,
        password: 'correct-horse-42',
        city: 'Pune',
      },
    })
  ).signUp.token;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await db?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('the database going away and coming back', () => {
  it('fails requests fast with SERVICE_UNAVAILABLE, turns readiness 503, and recovers without a restart', async () => {
    // Working before.
    expect((await ok(COUNT_PRODUCTS)).products.totalCount).toBeGreaterThan(0);
    const before = await placeOrder();
    expect(before.errors).toBeUndefined();
    const pids = [...subgraphs(), stack.gateway].map((s) => s.child.pid);
    for (const service of subgraphs()) expect(await readyStatus(service.url), service.name).toBe(200);

    // The database process dies.
    await stopChild(db.child, { signal: 'SIGKILL' });

    const query = await timed(() => gateway(COUNT_PRODUCTS));
    expect(query.result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['SERVICE_UNAVAILABLE', 'the catalog database is unavailable; retry shortly'],
    ]);
    expect(query.ms).toBeLessThan(FAIL_FAST_MS);
    const mutation = await timed(placeOrder);
    expect(mutation.result.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([
      ['SERVICE_UNAVAILABLE', 'the orders database is unavailable; retry shortly'],
    ]);
    expect(mutation.ms).toBeLessThan(FAIL_FAST_MS);
    // Nothing about the database's address or the driver reaches the client.
    const port = listenAddress.split(':')[1];
    for (const { result } of [query, mutation]) {
      expect(JSON.stringify(result)).not.toContain(port);
      expect(JSON.stringify(result)).not.toMatch(/Mongo|ECONNREFUSED|selection/i);
    }

    // Every subgraph reports the database on /ready, within the bound too.
    for (const service of subgraphs()) {
      const probe = await timed(() => fetch(new URL('/ready', service.url)));
      expect(probe.result.status, service.name).toBe(503);
      expect(probe.ms, service.name).toBeLessThan(FAIL_FAST_MS + 1_000);
      const body = (await probe.result.json()) as { checks: { name: string; ok: boolean; error?: string }[] };
      expect(
        body.checks.find((c) => c.name === 'mongodb'),
        service.name,
      ).toEqual({
        name: 'mongodb',
        ok: false,
        error: 'mongodb is unreachable',
      });
    }

    // Still failing fast once every driver has noticed (mongoose's "disconnected"): nothing is queued.
    for (const service of subgraphs()) {
      await expect
        .poll(() => service.logs.some((line: string) => line.includes('"msg":"mongodb disconnected')), { timeout: 15_000, interval: 100 })
        .toBe(true);
    }
    for (const send of [() => gateway(COUNT_PRODUCTS), placeOrder]) {
      const later = await timed(send);
      expect(later.result.errors?.map((e) => e.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(later.ms).toBeLessThan(FAIL_FAST_MS);
    }

    // The database comes back where it was, with its data.
    db = await startLocalDb(dataDir, () => {}, { listen: listenAddress });
    for (const service of subgraphs()) await expect.poll(() => readyStatus(service.url), RECOVERY).toBe(200);
    await expect.poll(async () => (await gateway(COUNT_PRODUCTS)).errors, RECOVERY).toBeUndefined();
    const after = await placeOrder();
    expect(after.errors).toBeUndefined();
    expect(after.data.placeOrder.status).toBe('PLACED');
    // The order placed before the outage is still there: the same database came back.
    const orders = await ok('{ me { orders(first: 10) { edges { node { id } } } } }', {}, customerToken);
    const ids = orders.me.orders.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(ids).toEqual(expect.arrayContaining([before.data.placeOrder.id, after.data.placeOrder.id]));

    // Nobody restarted: the same processes, still running, reconnected by themselves.
    expect([...subgraphs(), stack.gateway].map((s) => s.child.pid)).toEqual(pids);
    for (const service of [...subgraphs(), stack.gateway]) expect(service.child.exitCode, service.name).toBeNull();
  }, 90_000);
});
