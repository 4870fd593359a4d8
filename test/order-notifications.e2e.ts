import { randomInt } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bullPrefix, orderNoticeId, QUEUES } from '@supergraph/jobs';
import { createLogger, createRedisClient } from '@supergraph/runtime';
import { CredentialSigner, readPrivateKey, SERVICE_CREDENTIAL_HEADER } from '@supergraph/auth';
import { postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { adminToken, createProduct, errorCodes, gql, gqlAsGateway, gqlOk, PLACE_ORDER, signUpCustomer, unique } from './helpers.js';
import { failSharedMessages, sharedCodeSentTo, sharedMessagesKeyed, sharedMessagesTo } from './sms-receiver.js';

// The shared stack: orders' outbox relay enqueues a notice per status change, the worker looks up
// the customer's phone at users and sends through the receiver of test/global-setup.ts.
const UPDATE = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id status } }';
const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';

let admin: string;
let productId: string;
let notices: Queue;

beforeAll(async () => {
  admin = await adminToken();
  productId = (await createProduct(admin, { stock: 100 })).id;
  const logger = createLogger('notices-e2e', 'silent');
  notices = new Queue(QUEUES.notifications, {
    connection: createRedisClient(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', logger, 'notices-e2e'),
    prefix: bullPrefix(process.env.REDIS_PREFIX ?? 'supergraph'),
  });
});

afterAll(async () => {
  await notices?.close();
});

async function placeOrder(token: string): Promise<string> {
  const data = await gqlOk(PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }], idempotencyKey: unique('notice') } }, token);
  return data.placeOrder.id as string;
}

/** Proves the customer's number with a login code (confirmPhone): only such a number gets order messages. */
async function confirmPhone(customer: { token: string; password: string }, phone: string): Promise<void> {
  await gqlOk('mutation($phone: String!) { requestOtp(phone: $phone) { phone } }', { phone });
  const code = await sharedCodeSentTo(inject('smsReceiverUrl'), phone);
  await gqlOk(
    'mutation($phone: String!, $code: String!, $password: String) { confirmPhone(phone: $phone, code: $code, password: $password) { id } }',
    { phone, code, password: customer.password },
    customer.token,
  );
}

/** The order messages (not login codes) the shared receiver got for a number. */
const orderMessagesTo = async (phone: string) =>
  (await sharedMessagesTo(inject('smsReceiverUrl'), phone)).filter((sms) => sms.idempotencyKey.startsWith('order-status.'));

/** Polls until `check` returns something, for at most 20 s. */
async function eventually<T>(what: string, check: () => Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within 20 s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe('order notifications by SMS', () => {
  it('sends a customer with a phone one message per status change, in order, even when an earlier one needs retries', async () => {
    const phone = `+9197${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    const customer = await signUpCustomer({ phone });
    await confirmPhone(customer, phone);
    const orderId = await placeOrder(customer.token);
    // The confirmation fails twice at the provider; the shipping notice must not overtake it.
    await failSharedMessages(inject('smsReceiverUrl'), orderNoticeId(orderId, 'CONFIRMED'), 2);
    for (const status of ['CONFIRMED', 'SHIPPED', 'DELIVERED']) await gqlOk(UPDATE, { id: orderId, s: status }, admin);

    const messages = await eventually('three order messages', async () => {
      const got = await orderMessagesTo(phone);
      return got.length >= 3 && got;
    });
    expect(messages.map((sms) => sms.idempotencyKey)).toEqual(
      (['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const).map((status) => orderNoticeId(orderId, status)),
    );
    expect(messages[0].message).toMatch(/confirmed/);
    expect(messages[1].message).toMatch(/shipped/);
    expect(messages[2].message).toMatch(/delivered/);
    expect(messages.every((sms) => sms.message.includes(orderId.slice(-6).toUpperCase()))).toBe(true);
    // Nothing more, and nothing twice, once every notice has finished.
    for (const status of ['CONFIRMED', 'SHIPPED', 'DELIVERED'] as const) {
      expect(await notices.getJobState(orderNoticeId(orderId, status))).toBe('completed');
    }
    expect(await orderMessagesTo(phone)).toHaveLength(3);
  });

  it('tells of a cancellation, and sends nothing to a customer without a proved phone', async () => {
    const withPhone = `+9196${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    // b gave no number; c typed one in at sign-up but never proved it (it could be anyone's).
    const claimed = `+9193${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    const [a, b, c] = await Promise.all([signUpCustomer({ phone: withPhone }), signUpCustomer(), signUpCustomer({ phone: claimed })]);
    await confirmPhone(a, withPhone);
    const [orderA, orderB, orderC] = await Promise.all([placeOrder(a.token), placeOrder(b.token), placeOrder(c.token)]);
    for (const [orderId, token] of [
      [orderA, a.token],
      [orderB, b.token],
      [orderC, c.token],
    ]) {
      await gqlOk(UPDATE, { id: orderId, s: 'CONFIRMED' }, admin);
      await gqlOk(CANCEL, { id: orderId }, token);
    }
    const toA = await eventually('two messages to the customer with a phone', async () => {
      const got = await orderMessagesTo(withPhone);
      return got.length >= 2 && got;
    });
    expect(toA.map((sms) => sms.message)).toEqual([expect.stringMatching(/confirmed/), expect.stringMatching(/cancelled/)]);

    // Without a proved phone: both notices ran to completion and sent nothing.
    for (const orderId of [orderB, orderC]) {
      for (const status of ['CONFIRMED', 'CANCELLED'] as const) {
        const id = orderNoticeId(orderId, status);
        await eventually(`the ${status} notice to finish`, async () => (await notices.getJobState(id)) === 'completed');
        expect((await notices.getJob(id))?.returnvalue).toBe('no phone number');
      }
      expect(
        await sharedMessagesKeyed(inject('smsReceiverUrl'), orderNoticeId(orderId, 'CONFIRMED').split('.').slice(0, 2).join('.')),
      ).toEqual([]);
    }
    expect(await sharedMessagesTo(inject('smsReceiverUrl'), claimed)).toEqual([]);
  });
});

describe("the users subgraph's internal contact lookup", () => {
  const CONTACT = 'query($id: ID!) { notificationContact(userId: $id) { phone } }';

  it('answers the worker only: its own key and audience; the gateway gets FORBIDDEN, other credentials 401', async () => {
    const phone = `+9195${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    const customer = await signUpCustomer({ phone });
    const worker = new CredentialSigner('worker', readPrivateKey(process.env, 'WORKER_SERVICE_SIGNING_KEY'));
    const ask = async (credential: string) =>
      postGraphQL(
        inject('subgraphUrls').users,
        CONTACT,
        { id: customer.user.id },
        { headers: { [SERVICE_CREDENTIAL_HEADER]: credential } },
      );

    // A number typed in at sign-up is not given out until its holder proves it with a code.
    expect((await ask(await worker.credentialFor('users-internal'))).data).toEqual({ notificationContact: { phone: null } });
    await confirmPhone(customer, phone);
    const answered = await ask(await worker.credentialFor('users-internal'));
    expect(answered.data).toEqual({ notificationContact: { phone } });
    expect(errorCodes(await gqlAsGateway('users', CONTACT, { id: customer.user.id }))).toEqual(['FORBIDDEN']);
    // The worker's key with the gateway's audience, and the orders key with the internal audience.
    expect((await ask(await worker.credentialFor('users'))).status).toBe(401);
    const orders = new CredentialSigner('worker', readPrivateKey(process.env, 'ORDERS_SERVICE_SIGNING_KEY'));
    expect((await ask(await orders.credentialFor('users-internal'))).status).toBe(401);
    // Not part of the client API at all: the gateway does not know the field.
    expect(errorCodes(await gql(CONTACT, { id: customer.user.id }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
