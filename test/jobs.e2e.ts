import { randomBytes, randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bullPrefix, createJobQueues, jobId, QUEUE_NAMES, QUEUES, readJobsConfig, type JobQueues } from '@supergraph/jobs';
import { createLogger, createRedisClient } from '@supergraph/runtime';
import { stopChild } from '../scripts/lib/child-process.mjs';
import { startService } from '../scripts/lib/processes.mjs';
import { adminToken, gqlOk, mintAccessToken, signUpCustomer } from './helpers.js';
import { scrape, valueOf } from './prometheus-text.js';
import { SmsReceiver } from './sms-receiver.js';

// A worker process of its own, on queues of its own (a prefix no other test uses), with the
// receiver in this process, so faults can be injected per message and the worker can be killed.
const prefix = `jobs-e2e-${randomBytes(4).toString('hex')}`;
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ATTEMPTS = 3;
const receiver = new SmsReceiver();
const logger = createLogger('jobs-e2e', 'silent');
let producer: JobQueues;
let counts: Queue;
let worker: Awaited<ReturnType<typeof startService>>;

const workerEnv = () => ({
  NODE_ENV: 'test',
  PORT: '0',
  REDIS_URL: redisUrl,
  REDIS_PREFIX: prefix,
  SMS_WEBHOOK_URL: `${receiver.url}/sms`,
  JOBS_ATTEMPTS: String(ATTEMPTS),
  JOBS_BACKOFF_MS: '150',
  JOBS_BACKOFF_MAX_MS: '1000',
  // A killed worker's job is noticed within about a second.
  JOBS_LOCK_MS: '1000',
  JOBS_STALLED_INTERVAL_MS: '500',
  SHUTDOWN_DEADLINE_MS: '5000',
});

const to = () => `+9198${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;
const newKey = () => jobId('test-sms', randomUUID());

async function health(): Promise<{ queues: Record<string, Record<string, number>> }> {
  const response = await fetch(`http://127.0.0.1:${worker.port}/health`);
  return (await response.json()) as { queues: Record<string, Record<string, number>> };
}

async function state(id: string): Promise<string> {
  return counts.getJobState(id);
}

async function waitForState(id: string, wanted: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await state(id)) !== wanted) {
    if (Date.now() > deadline) throw new Error(`job ${id} is ${await state(id)}, not ${wanted}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  await receiver.start();
  producer = createJobQueues({
    redisUrl,
    redisPrefix: prefix,
    logger,
    config: readJobsConfig({ JOBS_ATTEMPTS: String(ATTEMPTS) }),
    name: 'jobs-e2e',
  });
  counts = new Queue(QUEUES.sms, { connection: createRedisClient(redisUrl, logger, 'jobs-e2e-counts'), prefix: bullPrefix(prefix) });
  worker = await startService('worker', workerEnv());
});

afterAll(async () => {
  await worker?.stop();
  await counts?.obliterate({ force: true }).catch(() => undefined);
  await counts?.close();
  await producer?.close();
  await receiver.stop();
});

describe('job queue and worker (real Redis, BullMQ and worker process)', () => {
  it('runs a job enqueued twice with the same id once', async () => {
    const key = newKey();
    const phone = to();
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: phone, message: 'hello once' });
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: phone, message: 'hello twice' });
    await receiver.until(() => receiver.messagesTo(phone).length === 1);
    await waitForState(key, 'completed');
    expect(receiver.deliveries.filter((sms) => sms.idempotencyKey === key)).toHaveLength(1);
    expect(receiver.messagesTo(phone)[0]).toMatchObject({ message: 'hello once', idempotencyKey: key });
  });

  it('retries a webhook that fails twice with backoff and delivers on the third attempt, once', async () => {
    const key = newKey();
    receiver.failNext(key, 2);
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: to(), message: 'third time lucky' });
    await receiver.until(() => receiver.processed.some((sms) => sms.idempotencyKey === key));
    const attempts = receiver.deliveries.filter((sms) => sms.idempotencyKey === key);
    expect(attempts).toHaveLength(3);
    expect(receiver.processed.filter((sms) => sms.idempotencyKey === key)).toHaveLength(1);
    // Each retry waited at least half its backoff step (150 ms, then 300 ms).
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(70);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(145);
    await waitForState(key, 'completed');
  });

  it('moves a job to the failed set after its last attempt, shows it in /health, and runs it when retried', async () => {
    const key = newKey();
    const before = (await health()).queues.sms.failed;
    receiver.failNext(key, ATTEMPTS);
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: to(), message: 'eventually' });
    await waitForState(key, 'failed');
    expect(receiver.deliveries.filter((sms) => sms.idempotencyKey === key)).toHaveLength(ATTEMPTS);
    expect((await health()).queues.sms.failed).toBe(before + 1);
    // Enqueueing the same work again while it sits in the failed set adds nothing.
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: to(), message: 'eventually' });
    expect(await state(key)).toBe('failed');

    await (await counts.getJob(key))!.retry();
    await receiver.until(() => receiver.processed.some((sms) => sms.idempotencyKey === key));
    await waitForState(key, 'completed');
    expect((await health()).queues.sms.failed).toBe(before);
  });

  it('exposes the counts per queue and state and what the jobs did on /metrics', async () => {
    const families = await scrape(`http://127.0.0.1:${worker.port}/`);
    // Every queue and state is a series, zeros included.
    const series = families.find((family) => family.name === 'jobs_queue_jobs')?.samples ?? [];
    expect(series.map((sample) => `${sample.labels.queue}/${sample.labels.state}`).sort()).toEqual(
      [...QUEUE_NAMES]
        .sort()
        .flatMap((queue) => ['active', 'completed', 'delayed', 'failed', 'waiting'].map((state) => `${queue}/${state}`)),
    );
    expect(valueOf(families, 'jobs_queue_jobs', { queue: 'sms', state: 'completed' })).toBeGreaterThanOrEqual(3);
    expect(valueOf(families, 'jobs_sms_sent_total', { purpose: 'otp' })).toBeGreaterThanOrEqual(3);
    expect(valueOf(families, 'jobs_processed_total', { queue: 'sms', outcome: 'retried' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(families, 'jobs_processed_total', { queue: 'sms', outcome: 'failed' })).toBeGreaterThanOrEqual(1);
  });

  it('finishes the job in hand on SIGTERM before exiting', async () => {
    const key = newKey();
    receiver.slow(key, 1_500);
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: to(), message: 'finish me' });
    await receiver.until(() => receiver.deliveries.some((sms) => sms.idempotencyKey === key));
    const exit = await stopChild(worker.child);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await state(key)).toBe('completed');
    expect(receiver.processed.filter((sms) => sms.idempotencyKey === key)).toHaveLength(1);
    worker = await startService('worker', workerEnv());
  });

  it('runs again, after a restart, a job whose worker was killed mid-way, and the message is processed once', async () => {
    const key = newKey();
    receiver.hold(key);
    await producer.enqueue(QUEUES.sms, 'otp', key, { to: to(), message: 'survive a crash' });
    await receiver.until(() => receiver.deliveries.some((sms) => sms.idempotencyKey === key));
    const exit = await stopChild(worker.child, { signal: 'SIGKILL' });
    expect(exit.signal).toBe('SIGKILL');
    expect(await state(key)).toBe('active');
    receiver.release(key);

    worker = await startService('worker', workerEnv());
    await receiver.until(() => receiver.processed.some((sms) => sms.idempotencyKey === key), 15_000);
    await waitForState(key, 'completed');
    // Sent twice (the first call was cut off by the kill), processed once thanks to the key.
    expect(receiver.deliveries.filter((sms) => sms.idempotencyKey === key).length).toBeGreaterThanOrEqual(2);
    expect(receiver.processed.filter((sms) => sms.idempotencyKey === key)).toHaveLength(1);
  });
});

describe('queue dashboard', () => {
  const base = () => `http://127.0.0.1:${worker.port}/admin/queues`;

  it('is for admins only: no token 401, a customer 403, an admin sees the queues', async () => {
    expect((await fetch(base())).status).toBe(401);
    const customer = await mintAccessToken({ id: '65f0c0ffee0000000000abcd', role: 'CUSTOMER' }, 60);
    expect((await fetch(base(), { headers: { authorization: `Bearer ${customer}` } })).status).toBe(403);
    const admin = await mintAccessToken({ id: '65f0c0ffee0000000000abce', role: 'ADMIN' }, 60);
    const page = await fetch(base(), { headers: { authorization: `Bearer ${admin}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const api = await fetch(`${base()}/api/queues`, { headers: { authorization: `Bearer ${admin}` } });
    const body = (await api.json()) as { queues: { name: string }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual([...QUEUE_NAMES].sort());
  });

  it('shows the sms queue read-only and without its messages, which may hold login codes', async () => {
    const admin = await mintAccessToken({ id: '65f0c0ffee0000000000abce', role: 'ADMIN' }, 60);
    const headers = { authorization: `Bearer ${admin}` };
    const text = await (await fetch(`${base()}/api/queues?activeQueue=sms&status=completed&page=1`, { headers })).text();
    const sms = (JSON.parse(text) as { queues: { name: string; readOnlyMode: boolean; jobs: unknown[] }[] }).queues.find(
      (q) => q.name === 'sms',
    );
    expect(sms?.readOnlyMode).toBe(true);
    // Earlier tests' messages completed here ("hello once", "third time lucky", …): listed, but not their text.
    expect(sms?.jobs.length).toBeGreaterThan(0);
    expect(text).toContain('(hidden: it may hold a login code)');
    expect(text).not.toMatch(/hello once|third time lucky|eventually|finish me/);
    const added = await fetch(`${base()}/api/queues/sms/add`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'otp', data: { to: '+919876543210', message: 'phish' } }),
    });
    expect(added.status).toBeGreaterThanOrEqual(400);
  });

  it('lets a browser log in with the form and keeps the token in an HttpOnly cookie', async () => {
    const admin = await mintAccessToken({ id: '65f0c0ffee0000000000abce', role: 'ADMIN' }, 60);
    const login = await fetch(`${base()}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: admin }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    const cookie = login.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    // Secure only in production (dashboard-cookie.test.ts): here the worker is reached over plain http on localhost.
    expect(cookie).not.toMatch(/Secure/);
    expect((await fetch(`${base()}/api/queues`, { headers: { cookie: cookie.split(';')[0] } })).status).toBe(200);
    const refused = await fetch(`${base()}/login`, {
      method: 'POST',
      body: new URLSearchParams({ token: 'not-a-token' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(refused.status).toBe(401);
  });

  // The shared stack's worker shares its Redis prefix with the users subgraph, which records the
  // revocations: these are real log-outs and role changes, made through the gateway.
  it('refuses, with 401, the token of a session that was logged out and of an admin who was demoted since', async () => {
    const dashboard = `${inject('workerUrl')}/admin/queues`;
    const status = async (token: string) => (await fetch(dashboard, { headers: { authorization: `Bearer ${token}` } })).status;
    const logIn = async (email: string, password: string) =>
      (
        await gqlOk<{ logIn: { token: string; refreshToken: string } }>(
          'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token refreshToken } }',
          { e: email, p: password },
        )
      ).logIn;
    const setRole = (id: string, role: string, token: string) =>
      gqlOk('mutation($id: ID!, $role: Role!) { setUserRole(id: $id, role: $role) { role } }', { id, role }, token);
    const admin = await adminToken();
    const user = await signUpCustomer();
    await setRole(user.user.id, 'ADMIN', admin);

    const first = await logIn(user.email, user.password);
    expect(await status(first.token)).toBe(200);
    expect((await gqlOk('mutation($t: String) { logOut(refreshToken: $t) }', { t: first.refreshToken }, first.token)).logOut).toBe(true);
    expect(await status(first.token)).toBe(401);

    const second = await logIn(user.email, user.password);
    expect(await status(second.token)).toBe(200);
    await setRole(user.user.id, 'CUSTOMER', admin);
    const refused = await fetch(dashboard, { headers: { authorization: `Bearer ${second.token}` } });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    // Their next session is a customer's.
    expect(await status((await logIn(user.email, user.password)).token)).toBe(403);
  });

  it('is not served in production unless QUEUE_DASHBOARD is on', async () => {
    const production = await startService('worker', {
      ...workerEnv(),
      NODE_ENV: 'production',
      // Production names the seller on invoices and the orders subgraph explicitly.
      SELLER_NAME: 'Test Seller Private Limited',
      SELLER_ADDRESS: '1 Test Road; Pune 411001',
      SELLER_GSTIN: '27AABCB1234F1Z8',
      SELLER_STATE: 'Maharashtra',
      ORDERS_URL: 'http://127.0.0.1:9/graphql',
      USERS_URL: 'http://127.0.0.1:9/graphql',
    });
    try {
      const admin = await mintAccessToken({ id: '65f0c0ffee0000000000abce', role: 'ADMIN' }, 60);
      expect(
        (await fetch(`http://127.0.0.1:${production.port}/admin/queues`, { headers: { authorization: `Bearer ${admin}` } })).status,
      ).toBe(404);
    } finally {
      await production.stop();
    }
  });
});
