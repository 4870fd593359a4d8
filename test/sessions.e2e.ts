import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { adminToken, createProduct, errorCodes, gql, gqlOk, signUpCustomer } from './helpers.js';
import { TOKEN_EXPIRED_CLOSE_CODE } from '../gateway/src/subscriptions/websocket.js';

// Sessions: short-lived access tokens, refresh tokens that rotate (a reused one ends the session),
// logging out, and revocations that end running subscriptions on WebSocket and SSE alike.

const SESSION = 'token refreshToken expiresAt user { id role }';
const LOG_IN = `mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { ${SESSION} } }`;
const REFRESH = `mutation($t: String!) { refreshSession(refreshToken: $t) { ${SESSION} } }`;
const LOG_OUT = 'mutation($t: String) { logOut(refreshToken: $t) }';
const ME = '{ me { id role } }';

interface Session {
  token: string;
  refreshToken: string;
  expiresAt: string;
  user: { id: string; role: string };
}

async function logIn(email: string, password: string): Promise<Session> {
  return (await gqlOk<{ logIn: Session }>(LOG_IN, { e: email, p: password })).logIn;
}

async function refresh(refreshToken: string) {
  return gql<{ refreshSession: Session }>(REFRESH, { t: refreshToken });
}

/** A new customer with a session of their own. */
async function customerSession() {
  const customer = await signUpCustomer();
  return { customer, session: await logIn(customer.email, customer.password) };
}

/** The answer to `me` with a token: 401 UNAUTHENTICATED once its session is revoked. */
async function meWith(token: string) {
  const result = await gql(ME, {}, token);
  return { status: result.status, codes: errorCodes(result), id: result.data?.me?.id };
}

/** Opens an SSE subscription and resolves with what it received once it ends. */
function sseUntilEnd(query: string, token: string) {
  return fetch(inject('gatewayUrl'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query }),
  }).then(async (response) => {
    const text = await response.text();
    return text
      .split('\n\n')
      .filter((block) => block.startsWith('event: next'))
      .map((block) =>
        JSON.parse(
          block
            .split('\n')
            .find((line) => line.startsWith('data: '))!
            .slice(6),
        ),
      );
  });
}

/** Opens a WebSocket subscription; resolves with the close code when the server closes it. */
function wsUntilClosed(query: string, token: string) {
  let acknowledged!: () => void;
  const connected = new Promise<void>((resolve) => (acknowledged = resolve));
  const closed = new Promise<number>((resolve) => {
    const client = createClient({
      url: inject('gatewayUrl').replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${token}` },
      retryAttempts: 0,
      on: { connected: () => acknowledged(), closed: (event) => resolve((event as { code: number }).code) },
    });
    client.subscribe({ query }, { next: () => {}, error: () => {}, complete: () => {} });
  });
  return { connected, closed };
}

/** Waits until the gateway has registered `n` more streams watching for revocations. */
async function watching(atLeast: number) {
  const health = async () =>
    (await (await fetch(new URL('/health', inject('gatewayUrl')))).json()) as { subscriptions: { watchedStreams: number } };
  await expect.poll(async () => (await health()).subscriptions.watchedStreams, { timeout: 10_000 }).toBeGreaterThanOrEqual(atLeast);
}

describe('sessions', () => {
  it('log-in gives a 15-minute access token, its expiry and a refresh token; the access token names the session', async () => {
    const before = Date.now();
    const { customer, session } = await customerSession();
    const expiresAt = Date.parse(session.expiresAt);
    expect(expiresAt).toBeGreaterThan(before + 14 * 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 15 * 60_000 + 1_000);
    expect(session.refreshToken).toMatch(/^[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    expect((await meWith(session.token)).id).toBe(customer.user.id);
    // Sign-up gives a session too (signUpCustomer kept its token).
    expect((await meWith(customer.token)).id).toBe(customer.user.id);
  });

  it('refreshSession rotates: a new access token and refresh token, and the next refresh token works in turn', async () => {
    const { customer, session } = await customerSession();
    const first = await refresh(session.refreshToken);
    expect(first.errors ?? []).toEqual([]);
    const next = first.data!.refreshSession;
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect(next.token).not.toBe(session.token);
    expect(next.user.id).toBe(customer.user.id);
    expect((await meWith(next.token)).id).toBe(customer.user.id);
    // The next refresh token works in turn, as a phone refreshing every 15 minutes for a month would.
    const third = await refresh(next.refreshToken);
    expect(third.data?.refreshSession.user.id).toBe(customer.user.id);
  });

  it('a retried exchange within the grace gets fresh tokens; replaying a token the family moved past ends the whole session', async () => {
    const { session } = await customerSession();
    const answered = (await refresh(session.refreshToken)).data!.refreshSession;
    // The phone lost that answer and retries with the token it still holds.
    const retried = (await refresh(session.refreshToken)).data!.refreshSession;
    expect(retried.refreshToken).not.toBe(answered.refreshToken);
    // Whoever holds the token handed out first (never received by the phone) is a thief.
    const replay = await refresh(answered.refreshToken);
    expect(errorCodes(replay)).toEqual(['UNAUTHENTICATED']);
    expect(replay.errors![0].message).toMatch(/already used/);
    // The whole family is gone: the phone's own latest refresh token and its access token too.
    expect(errorCodes(await refresh(retried.refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect(await meWith(retried.token)).toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
    expect(await meWith(session.token)).toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
  });

  it('refuses refresh tokens that are malformed or unknown with UNAUTHENTICATED', async () => {
    for (const token of ['', 'nonsense', `${'a'.repeat(32)}.${'b'.repeat(43)}`]) {
      expect(errorCodes(await refresh(token))).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('logOut with a refresh token ends that session only; with none, the session of the access token sent', async () => {
    const { customer, session } = await customerSession();
    const phone = await logIn(customer.email, customer.password);
    expect((await gqlOk(LOG_OUT, { t: session.refreshToken })).logOut).toBe(true);
    expect(errorCodes(await refresh(session.refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect(await meWith(session.token)).toMatchObject({ status: 401, codes: ['UNAUTHENTICATED'] });
    // Logging out twice is not an error (a retry on a flaky network): nothing was left to end.
    expect((await gqlOk(LOG_OUT, { t: session.refreshToken })).logOut).toBe(false);
    // The other device's session is untouched, until it logs out with its access token.
    expect((await meWith(phone.token)).id).toBe(customer.user.id);
    expect((await gqlOk(LOG_OUT, {}, phone.token)).logOut).toBe(true);
    expect(await meWith(phone.token)).toMatchObject({ status: 401 });
    expect(errorCodes(await refresh(phone.refreshToken))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql(LOG_OUT, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('limits how often one session is refreshed (RATE_LIMITED, HTTP 429)', async () => {
    let { session } = await customerSession();
    let refused: Awaited<ReturnType<typeof refresh>> | undefined;
    for (let i = 0; i < 31 && !refused; i++) {
      const result = await refresh(session.refreshToken);
      if (result.errors) refused = result;
      else session = result.data!.refreshSession;
    }
    expect(refused?.status).toBe(429);
    expect(errorCodes(refused!)).toEqual(['RATE_LIMITED']);
  });
});

describe('revocation ends running subscriptions', () => {
  it("logging out closes the session's sockets (4403) and ends its event streams (UNAUTHENTICATED) within seconds", async () => {
    const product = await createProduct(await adminToken());
    const { session } = await customerSession();
    const query = `subscription { productUpdated(id: "${product.id}") { stock } }`;
    const socket = wsUntilClosed(query, session.token);
    await socket.connected;
    const stream = sseUntilEnd(query, session.token);
    await watching(2);
    const started = Date.now();
    expect((await gqlOk(LOG_OUT, { t: session.refreshToken })).logOut).toBe(true);
    expect(await socket.closed).toBe(TOKEN_EXPIRED_CLOSE_CODE);
    const events = await stream;
    expect(events.at(-1).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('a demoted admin loses orderPlaced on both transports, and the old admin token stops working', async () => {
    const admin = await adminToken();
    const { customer } = await customerSession();
    await gqlOk('mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }', { id: customer.user.id }, admin);
    // The next log-in (or refresh) carries the new role.
    const promoted = await logIn(customer.email, customer.password);
    expect(promoted.user.role).toBe('ADMIN');
    const socket = wsUntilClosed('subscription { orderPlaced { id } }', promoted.token);
    await socket.connected;
    const stream = sseUntilEnd('subscription { orderPlaced { id } }', promoted.token);
    await watching(2);
    const demoted = await gqlOk('mutation($id: ID!) { setUserRole(id: $id, role: CUSTOMER) { role } }', { id: customer.user.id }, admin);
    expect(demoted.setUserRole.role).toBe('CUSTOMER');
    expect(await socket.closed).toBe(TOKEN_EXPIRED_CLOSE_CODE);
    expect((await stream).at(-1).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(await meWith(promoted.token)).toMatchObject({ status: 401 });
    // Refreshing the same session goes on, as a customer.
    const after = (await refresh(promoted.refreshToken)).data!.refreshSession;
    expect(after.user.role).toBe('CUSTOMER');
    expect(errorCodes(await gql('{ users(first: 1) { totalCount } }', {}, after.token))).toEqual(['FORBIDDEN']);
  });

  it('only admins change roles', async () => {
    const { customer, session } = await customerSession();
    const result = await gql('mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { role } }', { id: customer.user.id }, session.token);
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
  });
});
