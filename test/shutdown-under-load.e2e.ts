import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { MongoClient, ObjectId } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVICE_CREDENTIAL_PARAM } from '@supergraph/auth';
import { graphqlData, postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { startService, startStack } from '../scripts/lib/processes.mjs';
import { asGateway } from './helpers.js';

// A deploy under traffic: a steady stream of queries and placeOrder mutations goes through the
// gateway over keep-alive connections (as from a load balancer) while one service gets SIGTERM.
// Every request sent before the signal must succeed, the process must exit 0 after the drain,
// its WebSockets must close with 1001, and no order may be left PENDING in the database.

const DRAIN_MS = 1_500;
/** Requests sent this early in the drain must succeed too (the rest of it is margin for their trip through the gateway). */
const EARLY_DRAIN_MS = 500;
const WORKERS = 6;

type Service = Awaited<ReturnType<typeof startService>>;

let stack: Awaited<ReturnType<typeof startStack>>;
let env: Record<string, string>;
let mongodbUri: string;
let mongo: MongoClient;
let adminToken: string;
let productId: string;
const customers: string[] = [];
/** Services started here to replace ones a test stopped; stopped at the end. */
const replacements: Service[] = [];

const ok = (query: string, variables: Record<string, unknown> = {}, token?: string) =>
  graphqlData(stack.gateway.url, query, variables, { token });

const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const COUNT_PRODUCTS = '{ products(first: 1) { totalCount } }';

beforeAll(async () => {
  const admin = { email: 'deploy-admin@test.in', password: randomBytes(12).toString('base64url') };
  mongodbUri = withDatabase(process.env.TEST_MONGODB_URI!, `shutdown_load_${Date.now()}`);
  env = {
    NODE_ENV: 'test',
    MONGODB_URI: mongodbUri,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    // The stream places many small orders per customer; the caps are not under test here.
    ORDERS_MAX_PLACED_PER_CUSTOMER: '1000',
    ORDERS_MAX_UNITS_PER_CUSTOMER_PER_DAY: '1000000',
  };
  stack = await startStack(env);
  mongo = await new MongoClient(mongodbUri).connect();
  adminToken = (
    await ok('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', { e: admin.email, p: admin.password })
  ).logIn.token;
  const input = {
    sku: `DEP-${randomBytes(4).toString('hex')}`.toUpperCase(),
    name: 'Deploy Diya',
    category: 'Test',
    pricePaise: 500,
    stock: 100_000,
  };
  productId = (await ok('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken))
    .createProduct.id;
  for (let i = 0; i < WORKERS; i++) {
    const email = `deploy-${randomBytes(4).toString('hex')}@test.in`;
    const signUp = await ok('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { name: 'Deploy Customer', email, password: 'correct-horse-42', city: 'Chennai' },
    });
    customers.push(signUp.signUp.token);
  }
}, 120_000);

afterAll(async () => {
  await mongo?.close();
  await Promise.all(replacements.map((s) => s.stop()));
  await stack?.stop();
});

interface Sent {
  kind: 'query' | 'placeOrder';
  /** When the request was handed to fetch (before any of it was written). */
  sentAt: number;
  doneAt: number;
  ok: boolean;
  problem?: string;
  orderId?: string;
}

/**
 * Keeps WORKERS requests in flight against `url` (each worker sends its next one when the last is
 * answered), alternating queries and placeOrder mutations, until `stop()`. Node's fetch keeps its
 * connections alive between requests, as a load balancer's pool does.
 */
function loadStream(url: string) {
  const sent: Sent[] = [];
  let running = true;
  const worker = async (token: string) => {
    for (let n = 0; running; n++) {
      const kind = n % 2 === 0 ? 'placeOrder' : 'query';
      const sentAt = Date.now();
      const record: Sent = { kind, sentAt, doneAt: 0, ok: false };
      try {
        const result =
          kind === 'placeOrder'
            ? await postGraphQL(url, PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, { token })
            : await postGraphQL(url, COUNT_PRODUCTS, {}, { token });
        record.ok = result.status === 200 && !result.errors && result.data != null;
        if (!record.ok) record.problem = `HTTP ${result.status}: ${JSON.stringify(result.errors)}`;
        record.orderId = result.data?.placeOrder?.id;
      } catch (error) {
        record.problem = `${(error as Error).message} (${String((error as { cause?: Error }).cause?.message)})`;
      }
      record.doneAt = Date.now();
      sent.push(record);
      // Once the service is gone every request fails at once; no need to spin.
      if (!record.ok) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const workers = customers.map(worker);
  return {
    sent,
    placed: () => sent.filter((s) => s.kind === 'placeOrder' && s.ok).length,
    stop: async () => {
      running = false;
      await Promise.all(workers);
      return sent;
    },
  };
}

/** Waits until `count` orders have been placed by the stream, so the signal lands mid-stream. */
async function untilPlaced(stream: ReturnType<typeof loadStream>, count: number) {
  await expect.poll(() => stream.placed(), { timeout: 20_000, interval: 20 }).toBeGreaterThanOrEqual(count);
}

/** SIGTERMs `service` and resolves with when the signal was sent and how the process exited. */
function terminate(service: Service) {
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    service.child.once('exit', (code: number | null) => resolve({ code, at: Date.now() })),
  );
  // Taken before the signal is sent: a request counts as "before the signal" only if fetch had it earlier.
  const signalAt = Date.now();
  service.child.kill('SIGTERM');
  return { signalAt, exited };
}

/** A WebSocket with an open graphql-transport-ws session and one running subscription; resolves with its close code. */
async function openSubscription(url: string, connectionParams: Record<string, unknown>, query: string, variables: Record<string, unknown>) {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  const acked = new Promise<void>((resolve, reject) => {
    socket.on('message', (data: Buffer) => {
      const text = data.toString('utf8');
      const message = JSON.parse(text) as { type: string };
      if (message.type === 'connection_ack') resolve();
      if (message.type === 'error') reject(new Error(text));
    });
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams }));
  await acked;
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  return { socket, closed };
}

/** What the stream saw, split around the signal. */
/** The checks every SIGTERM under load must pass: exit 0 after the drain, nothing sent before the signal or early in the drain failed. */
function expectDrained(exit: { code: number | null; at: number }, signalAt: number, sent: Sent[]) {
  expect(exit.code).toBe(0);
  expect(exit.at - signalAt).toBeGreaterThanOrEqual(DRAIN_MS);
  const judged = judge(sent, signalAt);
  expect(judged.failedBefore).toEqual([]);
  expect(judged.before.filter((s) => s.kind === 'placeOrder').length).toBeGreaterThanOrEqual(15);
  expect(judged.earlyInDrain.filter((s) => !s.ok).map((s) => s.problem)).toEqual([]);
  return judged;
}

function judge(sent: Sent[], signalAt: number) {
  const before = sent.filter((s) => s.sentAt < signalAt);
  return {
    before,
    failedBefore: before.filter((s) => !s.ok).map((s) => ({ kind: s.kind, afterSignalMs: s.doneAt - signalAt, problem: s.problem })),
    // Sent before the signal and answered after it: in flight when it came.
    inFlight: before.filter((s) => s.doneAt > signalAt),
    // Sent early in the drain: the service is still serving, so these must all succeed as well.
    earlyInDrain: sent.filter((s) => s.sentAt >= signalAt && s.sentAt < signalAt + EARLY_DRAIN_MS),
  };
}

async function pendingOrders(): Promise<number> {
  return mongo.db().collection('orders').countDocuments({ status: 'PENDING' });
}

describe('SIGTERM under load', () => {
  it('orders: every request sent before the signal succeeds, in-flight orders complete, sockets close with 1001, exit 0', async () => {
    const credential = Object.values(await asGateway('orders'))[0];
    const upstream = await openSubscription(
      stack.orders.url.replace(/^http/, 'ws'),
      { [SERVICE_CREDENTIAL_PARAM]: credential, authorization: `Bearer ${adminToken}` },
      'subscription { orderPlaced { id } }',
      {},
    );
    const stream = loadStream(stack.gateway.url);
    await untilPlaced(stream, 15);

    const { signalAt, exited } = terminate(stack.orders);
    const exit = await exited;
    // Back on its port for the next test, as the deploy's new instance would be (whatever is found below).
    const restarted = startService('orders', { ...env, PORT: String(stack.orders.port), CATALOG_URL: stack.catalog.url });
    restarted.then(
      (service) => replacements.push(service),
      () => {},
    );
    const sent = await stream.stop();

    // It served through the drain, then stopped: not at once, and not held up.
    const { inFlight, earlyInDrain } = expectDrained(exit, signalAt, sent);
    expect(inFlight.filter((s) => s.kind === 'placeOrder').length).toBeGreaterThanOrEqual(1);
    expect(earlyInDrain.filter((s) => s.kind === 'placeOrder').length).toBeGreaterThanOrEqual(1);
    // The gateway's socket to the subgraph (here: one opened as the gateway would) is told it is going away.
    expect(await upstream.closed).toEqual({ code: 1001, reason: 'Going away' });

    // Nothing half-done: no order left PENDING, and every order a client was told about is PLACED.
    expect(await pendingOrders()).toBe(0);
    const placedIds = sent.filter((s) => s.orderId).map((s) => s.orderId!);
    const statuses = await mongo
      .db()
      .collection('orders')
      .find({ _id: { $in: placedIds.map((id) => new ObjectId(id)) } }, { projection: { status: 1 } })
      .toArray();
    expect(statuses.length).toBe(placedIds.length);
    expect(new Set(statuses.map((o) => o.status))).toEqual(new Set(['PLACED']));

    await restarted;
  }, 60_000);

  it('gateway: every request sent before the signal succeeds, client sockets close with 1001, exit 0', async () => {
    // The orders subgraph is back (the previous test restarted it): wait until orders go through again.
    await expect
      .poll(
        async () =>
          (await postGraphQL(stack.gateway.url, PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, { token: customers[0] }))
            .errors,
        {
          timeout: 20_000,
          interval: 200,
        },
      )
      .toBeUndefined();
    const client = await openSubscription(
      stack.gateway.url.replace(/^http/, 'ws'),
      {},
      'subscription($id: ID!) { productUpdated(id: $id) { stock } }',
      { id: productId },
    );
    const stream = loadStream(stack.gateway.url);
    await untilPlaced(stream, 15);

    const { signalAt, exited } = terminate(stack.gateway);
    const exit = await exited;
    const sent = await stream.stop();

    const { inFlight, earlyInDrain } = expectDrained(exit, signalAt, sent);
    expect(inFlight.length).toBeGreaterThanOrEqual(1);
    expect(earlyInDrain.filter((s) => s.kind === 'placeOrder').length).toBeGreaterThanOrEqual(1);
    expect(await client.closed).toEqual({ code: 1001, reason: 'Going away' });
    expect(await pendingOrders()).toBe(0);
  }, 60_000);
});
