// The background-jobs phase of `npm run bench`: does a worker busy with a burst's jobs slow down
// the requests that keep coming in? placeOrder and updateOrderStatus are timed through our gateway
// with no worker running ("idle"), then while 200 orders are confirmed, still with no worker, so
// their 400 invoice and notice jobs pile up ("confirming": the burst's own writes), then while a
// worker started now works through that backlog ("busy"); the worker's time for the jobs and how
// they ended are read back from BullMQ. busy ÷ idle is the worker's cost to requests.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { MongoClient, ObjectId } from 'mongodb';
import { bullPrefix, invoiceJobId, orderNoticeId, QUEUES, readJobsConfig } from '@supergraph/jobs';
import { createLogger, createRedisClient } from '@supergraph/runtime';
import { graphqlData, postGraphQL } from '../lib/graphql-http.mjs';
import { startService } from '../lib/processes.mjs';
import { jobsBurstLines } from './report.mjs';
import { insertPlacedOrders } from './dataset.mjs';
import { fmt, percentile } from './stats.mjs';

export const JOBS_BURST_KEY = 'jobs-burst';
const BURST = 200;
/**
 * Confirmations of the burst in flight at once. All 200 together queue behind the local database
 * (one write at a time) past the gateway's 10 s subgraph timeout, and 20 already starved the
 * clients' requests into that timeout; the database confirms no faster with more in flight.
 */
const BURST_IN_FLIGHT = 10;
/** Orders of the burst are spread over this many customers, each signed up with a phone number. */
const CUSTOMERS = 20;
/** Concurrent clients in every window, each placing an order and confirming it as the admin. */
const CLIENTS = 4;
/**
 * Each client starts a place-and-confirm pair at most this often: the same offered load in every
 * window, so a difference in latency is the worker's doing and not a different request rate, and
 * the clients' own confirmations stay a trickle beside the burst.
 */
const PACE_MS = 500;
/** BENCH_JOBS_IDLE_MS: the window with no jobs running. */
const IDLE_MS = Number(process.env.BENCH_JOBS_IDLE_MS ?? 10_000);
/**
 * BENCH_JOBS_WAIT_MS: how long the worker is given to finish jobs (the idle window's, then the
 * burst's after the last confirmation) before the bench goes on and reports them unfinished: a job
 * in retry backoff can wait minutes, and the phase is meant to stay near two minutes.
 */
const JOBS_WAIT_CAP_MS = Number(process.env.BENCH_JOBS_WAIT_MS ?? 90_000);
const POLL_MS = 250;
/** The seller printed on the invoices: a production worker refuses to start without one. */
const BENCH_SELLER = {
  SELLER_NAME: 'Bench Retail Private Limited',
  SELLER_ADDRESS: '1 Bench Road; Pune 411001',
  SELLER_GSTIN: '27AABCB1234F1Z8',
  SELLER_STATE: 'Maharashtra',
};

const SIGN_UP = 'mutation SignUp($input: SignUpInput!) { signUp(input: $input) { token user { id } } }';
const PLACE = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const UPDATE = 'mutation Update($id: ID!, $status: OrderStatus!) { updateOrderStatus(id: $id, status: $status) { id status } }';

/** A stand-in SMS provider: answers every message 200 and remembers its idempotency key. */
async function startSmsReceiver() {
  const keys = new Set();
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    try {
      keys.add(JSON.parse(body).idempotencyKey);
    } catch {
      // Counted as not received; the answer is still 200 so nothing is retried because of the bench.
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"accepted"}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/sms`,
    keys,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inBatches(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const stats = (sorted) => ({ count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99) });

/**
 * CLIENTS paced clients placing an order and confirming it until `done()`. Each request counts in
 * the window `window()` named when it started; returns per window the latencies of each mutation
 * and the requests that failed.
 */
async function drive({ gatewayUrl, customers, productIds, adminToken, newKey, done, window }) {
  const windows = {};
  const timed = async (field, query, variables, token) => {
    const w = (windows[window()] ??= { placeOrder: [], updateOrderStatus: [], failed: 0, example: undefined });
    const startedAt = performance.now();
    const { data, errors } = await postGraphQL(gatewayUrl, query, variables, { token }).catch((error) => ({
      errors: [{ message: error.message }],
    }));
    const ms = performance.now() - startedAt;
    if (errors?.length || !data?.[field]) {
      w.failed++;
      w.example ??= `${field}: ${JSON.stringify(errors).slice(0, 200)}`;
      return null;
    }
    w[field].push(ms);
    return data[field];
  };
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      for (let n = 0; !done(); n++) {
        const due = performance.now() + PACE_MS;
        const customer = customers[(client + n * CLIENTS) % customers.length];
        const items = [{ productId: productIds[(client * 101 + n * 7) % productIds.length], quantity: 1 }];
        const placed = await timed('placeOrder', PLACE, { input: { items, idempotencyKey: newKey() } }, customer.token);
        if (placed) await timed('updateOrderStatus', UPDATE, { id: placed.id, status: 'CONFIRMED' }, adminToken);
        const wait = due - performance.now();
        if (wait > 0 && !done()) await sleep(wait);
      }
    }),
  );
  const summary = (list) => stats(list.sort((x, y) => x - y));
  return Object.fromEntries(
    Object.entries(windows).map(([name, w]) => [
      name,
      { placeOrder: summary(w.placeOrder), updateOrderStatus: summary(w.updateOrderStatus), failed: w.failed, example: w.example },
    ]),
  );
}

/** The worker's job counts per queue (its /health), summed over the states that mean "not done yet". */
async function unfinishedJobs(workerHealthUrl) {
  const { queues } = await (await fetch(workerHealthUrl)).json();
  return Object.values(queues).reduce((sum, c) => sum + c.waiting + c.active + c.delayed, 0);
}

/**
 * @param {{ uri: string, env: Record<string, string>, subgraphs: { users: { url: string }, orders: { url: string } },
 *   gateway: { url: string, pid: number }, productIds: string[], adminToken: string,
 *   settle: () => Promise<void>, log: (message: string) => void }} options
 *   `env` is the subgraphs' environment: the worker must share their REDIS_PREFIX to see the jobs orders enqueues.
 */
export async function runJobsBurst({ uri, env, subgraphs, gateway, productIds, adminToken, settle, log }) {
  const cleanups = [];
  try {
    const sms = await startSmsReceiver();
    cleanups.push(sms.stop);
    const connection = createRedisClient(env.REDIS_URL, createLogger('bench-jobs', 'silent'), 'bench-jobs');
    cleanups.push(async () => connection.disconnect());
    const queue = (name) => {
      const q = new Queue(name, { connection, prefix: bullPrefix(env.REDIS_PREFIX) });
      cleanups.push(() => q.close());
      return q;
    };
    const invoices = queue(QUEUES.invoices);
    const notices = queue(QUEUES.notifications);

    let keyCount = 0;
    const runTag = `${process.pid}-${Date.now()}`;
    const newKey = () => `bench-jobs-${runTag}-${keyCount++}`;
    log(`jobs-burst: signing up ${CUSTOMERS} customers with phone numbers`);
    const customers = await inBatches(Array.from({ length: CUSTOMERS }), 4, async (_, i) => {
      const input = {
        name: `Bench Buyer ${i}`,
        email: `bench-jobs-${runTag}-${i}@bench.example`,
        password: `bench-${runTag}-password`,
        // A distinct number each, so each SMS is the customer's own.
        phone: `+9198${String(i).padStart(8, '0')}`,
        city: 'Pune',
      };
      return (await graphqlData(gateway.url, SIGN_UP, { input })).signUp;
    });
    // Notices go only to a number its holder proved with a code (confirmPhone); the bench stands in
    // for each customer doing so, as it stands in for placing the burst's orders below.
    const mongo = await MongoClient.connect(uri);
    try {
      await mongo
        .db()
        .collection('users')
        .updateMany({ _id: { $in: customers.map((c) => new ObjectId(c.user.id)) } }, { $set: { phoneVerifiedAt: new Date() } });
    } finally {
      await mongo.close();
    }
    const burstOrders = await insertPlacedOrders(uri, {
      userIds: customers.map((c) => c.user.id),
      productIds,
      count: BURST,
      keyPrefix: `bench-jobs-${runTag}-burst`,
    });
    const driving = { gatewayUrl: gateway.url, customers, productIds, adminToken, newKey };

    // No worker yet: the window's own confirmations wait in Redis, and nothing runs beside the requests.
    await settle();
    log(`jobs-burst: idle window, ${IDLE_MS / 1000} s, no worker running`);
    const idleEnds = performance.now() + IDLE_MS;
    const { idle } = await drive({ ...driving, done: () => performance.now() >= idleEnds, window: () => 'idle' });
    log(`jobs-burst: idle ${describe(idle)}`);

    // The clients go on throughout: beside the burst's confirmations with no worker yet
    // ("confirming"), then beside a worker started with the whole backlog to work through ("busy"),
    // until the burst's jobs have finished.
    log(`jobs-burst: confirming ${BURST} orders, ${BURST_IN_FLIGHT} at a time, no worker running, while the clients go on`);
    let window = 'confirming';
    let finished = false;
    const burstStartedAt = Date.now();
    const driven = drive({ ...driving, done: () => finished, window: () => window });
    const burstJobs = burstOrders.flatMap((id) => [
      { queue: invoices, id: invoiceJobId(id, 'INVOICE') },
      { queue: notices, id: orderNoticeId(id, 'CONFIRMED') },
    ]);
    let confirmMs = NaN;
    let afterMs = NaN;
    let unfinishedAtEnd = NaN;
    let workerStartedAt = NaN;
    try {
      const confirmed = await inBatches(burstOrders, BURST_IN_FLIGHT, (id) =>
        postGraphQL(gateway.url, UPDATE, { id, status: 'CONFIRMED' }, { token: adminToken }),
      );
      confirmMs = Date.now() - burstStartedAt;
      const refused = confirmed.filter((r) => r.errors?.length || r.data?.updateOrderStatus?.status !== 'CONFIRMED');
      if (refused.length) throw new Error(`${refused.length} confirmations of the burst failed: ${JSON.stringify(refused[0].errors)}`);

      window = 'busy';
      workerStartedAt = Date.now();
      const worker = await startService('worker', {
        ...env,
        ...BENCH_SELLER,
        PORT: '0',
        USERS_URL: subgraphs.users.url,
        ORDERS_URL: subgraphs.orders.url,
        SMS_WEBHOOK_URL: sms.url,
      });
      cleanups.push(worker.stop);
      unfinishedAtEnd = await unfinishedJobs(`http://127.0.0.1:${worker.port}/health`);
      log(
        `jobs-burst: ${BURST} confirmations answered in ${(confirmMs / 1000).toFixed(1)} s; worker started with ${unfinishedAtEnd} jobs waiting`,
      );
      const afterStart = performance.now();
      let pending = burstJobs;
      while (pending.length && performance.now() - afterStart < JOBS_WAIT_CAP_MS) {
        const states = await Promise.all(pending.map((job) => job.queue.getJobState(job.id)));
        pending = pending.filter((_, i) => states[i] !== 'completed' && states[i] !== 'failed');
        if (pending.length) await sleep(POLL_MS);
      }
      afterMs = performance.now() - afterStart;
    } finally {
      finished = true;
    }
    const empty = { placeOrder: stats([]), updateOrderStatus: stats([]), failed: 0 };
    const { confirming = empty, busy = empty } = await driven;
    log(`jobs-burst: while confirming, no worker: ${describe(confirming)}`);
    log(`jobs-burst: worker busy with the backlog: ${describe(busy)}`);

    const outcome = { completed: 0, failed: 0, unfinished: 0, failedAttempts: 0, smsSent: 0, noPhone: 0, lastFinishedOn: 0 };
    const byQueue = {};
    const reasons = {};
    for (const { queue: q, id } of burstJobs) {
      const job = await q.getJob(id);
      const state = !job ? 'unfinished' : await job.getState();
      const counted = state === 'completed' || state === 'failed' ? state : 'unfinished';
      outcome[counted]++;
      (byQueue[q.name] ??= { completed: 0, failed: 0, unfinished: 0 })[counted]++;
      // One stack trace per attempt that threw, kept by BullMQ whether or not a later attempt succeeded.
      outcome.failedAttempts += job?.stacktrace?.length ?? 0;
      if (job?.failedReason) {
        const reason = `${q.name}: ${job.failedReason.slice(0, 160)}`;
        reasons[reason] = (reasons[reason] ?? 0) + 1;
      }
      if (job?.returnvalue === 'sent') outcome.smsSent++;
      if (job?.returnvalue === 'no phone number') outcome.noPhone++;
      if (state === 'completed') outcome.lastFinishedOn = Math.max(outcome.lastFinishedOn, job.finishedOn ?? 0);
    }
    const smsReceived = burstOrders.filter((id) => sms.keys.has(orderNoticeId(id, 'CONFIRMED'))).length;
    const result = {
      burst: BURST,
      inFlight: BURST_IN_FLIGHT,
      customers: CUSTOMERS,
      clients: CLIENTS,
      paceMs: PACE_MS,
      invoiceConcurrency: readJobsConfig(process.env).invoiceConcurrency,
      idleMs: IDLE_MS,
      confirmMs,
      afterMs,
      waitCapMs: JOBS_WAIT_CAP_MS,
      unfinishedAtEnd,
      idle,
      confirming,
      busy,
      jobs: {
        total: burstJobs.length,
        ...outcome,
        byQueue,
        reasons,
        smsReceived,
        // From the worker's start to the last of the burst's jobs finished (BullMQ's own timestamps).
        workerMs: outcome.unfinished ? NaN : outcome.lastFinishedOn - workerStartedAt,
      },
    };
    for (const line of jobsBurstLines(result)) console.log(line);
    return result;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

const describe = (w) =>
  `placeOrder p50 ${fmt(w.placeOrder.p50, 1)} p99 ${fmt(w.placeOrder.p99, 1)} ms (${w.placeOrder.count}), ` +
  `updateOrderStatus p50 ${fmt(w.updateOrderStatus.p50, 1)} p99 ${fmt(w.updateOrderStatus.p99, 1)} ms (${w.updateOrderStatus.count})` +
  `${w.failed ? `, ${w.failed} failed: ${w.example}` : ''}`;
