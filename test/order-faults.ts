import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient, ObjectId } from 'mongodb';
import { expect, inject, vi } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { postGraphQL, type GraphQLResult } from '../scripts/lib/graphql-http.mjs';
import { adminToken, signUpCustomer, unique } from './helpers.js';

// The harness of the fault tests: a catalog, orders service and gateway of their own over a
// database of their own (so they can be killed and their data counted), customers who retry like
// a phone on a flaky network does, and the stock invariant to check afterwards.

export type Service = Awaited<ReturnType<typeof startService>>;

/** Short timeouts so faults resolve in seconds: a stale PENDING order is swept after 3 s. */
export const FAULT_ORDERS_ENV = {
  ORDER_PENDING_TIMEOUT_MS: '3000',
  ORDER_SWEEP_INTERVAL_MS: '300',
  ORDERS_CATALOG_ATTEMPTS: '3',
  // Caps on one customer are tested elsewhere; here a few customers place many orders.
  ORDERS_MAX_PLACED_PER_CUSTOMER: '1000',
  ORDERS_MAX_UNITS_PER_CUSTOMER_PER_DAY: '100000',
};

export class FaultStack {
  catalog!: Service;
  orders!: Service;
  gateway!: Service;
  readonly mongodbUri = withDatabase(process.env.TEST_MONGODB_URI!, `${unique('faults').replace('-', '_')}`);
  mongo!: MongoClient;

  /**
   * @param catalogUrlForOrders where orders reaches the catalog (a fault proxy), given the catalog's own URL
   * @param ordersEnv settings for the orders service on top of FAULT_ORDERS_ENV
   */
  constructor(
    private readonly catalogUrlForOrders: (catalogUrl: string) => string = (url) => url,
    private readonly ordersEnv: Record<string, string> = {},
  ) {}

  get env() {
    return { NODE_ENV: 'test', MONGODB_URI: this.mongodbUri };
  }

  async start() {
    this.mongo = await new MongoClient(this.mongodbUri).connect();
    this.catalog = await startService('catalog', { ...this.env, PORT: '0' });
    await this.startOrders('0');
    this.gateway = await startService('gateway', {
      ...this.env,
      PORT: '0',
      // A killed subgraph is back within seconds here; a 10 s open breaker would outlast it many times.
      SUBGRAPH_BREAKER_OPEN_MS: '1000',
      USERS_URL: inject('subgraphUrls').users,
      CATALOG_URL: this.catalog.url,
      ORDERS_URL: this.orders.url,
    });
  }

  async startOrders(port: string) {
    this.orders = await startService('orders', {
      ...this.env,
      ...FAULT_ORDERS_ENV,
      ...this.ordersEnv,
      PORT: port,
      CATALOG_URL: this.catalogUrlForOrders(this.catalog.url),
    });
  }

  /** SIGKILL, as a crash or the OOM killer would; then the same service again on the same port. */
  async crashAndRestart(name: 'orders' | 'catalog', downMs: number) {
    const victim = this[name];
    victim.child.kill('SIGKILL');
    await new Promise((resolve) => victim.child.once('exit', resolve));
    await sleep(downMs);
    if (name === 'orders') await this.startOrders(String(victim.port));
    else this.catalog = await startService('catalog', { ...this.env, PORT: String(victim.port) });
  }

  async stop() {
    await Promise.all([this.gateway?.stop(), this.orders?.stop(), this.catalog?.stop()]);
    await this.mongo
      ?.db()
      .dropDatabase()
      .catch(() => {});
    await this.mongo?.close();
  }

  call(query: string, variables: Record<string, unknown>, token: string): Promise<GraphQLResult> {
    return postGraphQL(this.gateway.url, query, variables, { token });
  }

  async products(count: number, stock: number): Promise<string[]> {
    const admin = await adminToken();
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const result = await this.call(
        'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { sku: unique('FLT').toUpperCase(), name: `Fault Lamp ${i}`, category: 'Test', pricePaise: 1000 + i, stock } },
        admin,
      );
      expect(result.errors).toBeUndefined();
      ids.push(result.data.createProduct.id);
    }
    return ids;
  }

  /** Waits until nothing is left half done: no order still PENDING or FAILING, no cancellation owing stock. */
  async waitUntilSettled(timeoutMs = 30_000) {
    const orders = this.mongo.db().collection('orders');
    await vi.waitFor(
      async () => {
        const unsettled = await orders.countDocuments({
          $or: [{ status: { $in: ['PENDING', 'FAILING'] } }, { status: 'CANCELLED', stockReturn: { $ne: 'DONE' } }],
        });
        expect(unsettled).toBe(0);
      },
      { timeout: timeoutMs, interval: 250 },
    );
  }

  /** The invariant: for every product, stock on hand + units in live orders = stock ever received. */
  async expectStockExact(productIds: string[], received: number) {
    const live = await this.mongo
      .db()
      .collection('orders')
      .find({ status: { $in: ['PLACED', 'CONFIRMED', 'SHIPPED', 'DELIVERED'] } })
      .toArray();
    const products = await this.mongo
      .db()
      .collection('products')
      .find({ _id: { $in: productIds.map((id) => new ObjectId(id)) } })
      .toArray();
    const accounts = productIds.map((id) => {
      const onHand = products.find((p) => String(p._id) === id)!.stock as number;
      const inOrders = live.flatMap((o) => o.items).reduce((sum, item) => (String(item.productId) === id ? sum + item.quantity : sum), 0);
      return { id, onHand, inOrders, total: onHand + inOrders };
    });
    expect(accounts).toEqual(productIds.map((id) => expect.objectContaining({ id, total: received })));
  }

  /**
   * Every order a client was told succeeded exists exactly once, and every order that counts is
   * one a client was told about: the live and cancelled orders are exactly the ones clients saw.
   */
  async expectOrdersExactlyAsSeen(outcomes: OrderOutcome[]) {
    const succeeded = outcomes.filter((o) => o.orderId);
    const stored = await this.mongo
      .db()
      .collection('orders')
      .find({ status: { $nin: ['FAILED'] } })
      .toArray();
    expect(stored.map((o) => String(o._id)).sort()).toEqual(succeeded.map((o) => o.orderId!).sort());
    for (const outcome of succeeded) {
      const order = stored.find((o) => String(o._id) === outcome.orderId)!;
      expect(order.status).toBe(outcome.cancelled ? 'CANCELLED' : 'PLACED');
    }
  }
}

export interface OrderOutcome {
  key: string;
  orderId?: string;
  /** The final refusal, when the order could not be had (OUT_OF_STOCK). */
  refused?: string;
  cancelled?: boolean;
  attempts: number;
  /** What each retried attempt was told (an error code, or how the connection failed). */
  transient: string[];
}

const PLACE = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';

/** Errors a phone retries with the same idempotency key; anything else is the final answer. */
function isTransient(result: GraphQLResult | Error): boolean {
  if (result instanceof Error) return true; // connection refused or reset
  if (result.status >= 500 && !result.errors?.some((e) => e.extensions?.code)) return true;
  return (result.errors ?? []).some((e) => {
    const code = e.extensions?.code;
    if (code === 'CONFLICT') return /still being placed/.test(e.message);
    return code === 'SERVICE_UNAVAILABLE' || code === 'SUBGRAPH_UNAVAILABLE' || code === 'INTERNAL_SERVER_ERROR' || code === undefined;
  });
}

/**
 * One customer's checkout, as a phone on a flaky network does it: the same key until a final
 * answer (placed, or refused for a reason retrying cannot fix), then maybe a cancellation, also
 * retried until the order is seen CANCELLED.
 */
export async function checkout(
  stack: FaultStack,
  token: string,
  items: { productId: string; quantity: number }[],
  options: { cancel?: boolean; deadlineMs?: number } = {},
): Promise<OrderOutcome> {
  const outcome: OrderOutcome = { key: unique('checkout'), attempts: 0, transient: [] };
  const deadline = Date.now() + (options.deadlineMs ?? 45_000);
  const attempt = async (query: string, variables: Record<string, unknown>) => {
    for (;;) {
      outcome.attempts++;
      const result = await stack.call(query, variables, token).catch((error: Error) => error);
      if (!isTransient(result)) return result as GraphQLResult;
      outcome.transient.push(
        result instanceof Error ? `network: ${result.message}` : String(result.errors?.[0]?.extensions?.code ?? result.status),
      );
      if (Date.now() > deadline) throw new Error(`${outcome.key}: no final answer before the deadline: ${JSON.stringify(result)}`);
      await sleep(200 + Math.random() * 200);
    }
  };
  const placed = await attempt(PLACE, { input: { items, idempotencyKey: outcome.key } });
  if (placed.errors) {
    outcome.refused = placed.errors[0].extensions?.code;
    return outcome;
  }
  outcome.orderId = placed.data.placeOrder.id;
  if (!options.cancel) return outcome;
  const cancelled = await attempt(CANCEL, { id: outcome.orderId });
  // A retry after a cancellation whose reply was lost is told the order is already CANCELLED.
  const already = cancelled.errors?.every((e) => e.extensions?.code === 'CONFLICT' && /is CANCELLED/.test(e.message));
  if (cancelled.errors && !already) throw new Error(`${outcome.key}: cancel failed: ${JSON.stringify(cancelled.errors)}`);
  outcome.cancelled = true;
  return outcome;
}

export async function customers(count: number): Promise<string[]> {
  return Promise.all(Array.from({ length: count }, async () => (await signUpCustomer()).token));
}
