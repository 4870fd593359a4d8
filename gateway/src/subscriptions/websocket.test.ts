import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { listen, MAX_BODY_BYTES, type RunningHttpServer } from '@supergraph/runtime';
import { fakeGuard, fakeHandlers } from './transport.fixture.js';
import { TOO_MANY_SOCKETS_CLOSE_CODE } from './client-guard.js';
import { createWebSocketTransport, TOKEN_EXPIRED_CLOSE_CODE, type WebSocketTransport } from './websocket.js';

let server: RunningHttpServer | undefined;
let transport: WebSocketTransport | undefined;
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => Promise.resolve(c.dispose())));
  await transport?.dispose();
  await server?.close();
});

const defaultGuard = fakeGuard();

async function serve(handlers = fakeHandlers([{ data: { n: 1 } }, { data: { n: 2 } }], defaultGuard.guard)) {
  transport = createWebSocketTransport({ ...handlers, keepAliveMs: 10_000 });
  server = await listen((_req, res) => void res.writeHead(404).end(), 0, '127.0.0.1', transport.handleUpgrade);
  return { handlers, url: `ws://127.0.0.1:${server.port}/graphql` };
}

function client(url: string, authorization?: string, closes: number[] = []) {
  const c = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: authorization ? { authorization } : {},
    on: { closed: (event) => closes.push((event as { code: number }).code) },
  });
  clients.push(c);
  return c;
}

function run(c: Client, query: string) {
  const received: unknown[] = [];
  const done = new Promise<unknown>((resolve) =>
    c.subscribe({ query }, { next: (v) => received.push(v), error: resolve, complete: () => resolve('complete') }),
  );
  return { received, done };
}

describe('WebSocket transport', () => {
  it('streams a subscription and completes it', async () => {
    const { url } = await serve();
    const { received, done } = run(client(url), 'subscription { n }');
    expect(await done).toBe('complete');
    expect(received).toEqual([{ data: { n: 1 } }, { data: { n: 2 } }]);
  });

  it('sends a refusal from preparation as the error of that subscription', async () => {
    const { url } = await serve();
    const { done } = run(client(url), 'subscription { refuse }');
    const error = (await done) as { message: string; extensions: { code: string } }[];
    expect(error[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('takes upgrades on its own path only', async () => {
    const { url } = await serve();
    const socket = new WebSocket(url.replace('/graphql', '/elsewhere'), 'graphql-transport-ws');
    const failure = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(failure.message).toMatch(/404/);
  });

  it('closes a socket that sends a message over the size limit', async () => {
    const { url } = await serve();
    const socket = new WebSocket(url, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', resolve));
    socket.send('x'.repeat(MAX_BODY_BYTES + 1));
    expect(await closed).toBe(1009);
  });

  it('closes the socket with 4403 when the token it connected with expires', async () => {
    const { url } = await serve();
    const { token } = await defaultGuard.issuer(1).issue({ id: 'u1', role: 'CUSTOMER' });
    const closes: number[] = [];
    const { done } = run(client(url, `Bearer ${token}`, closes), 'subscription { hold }');
    await done;
    expect(closes).toContain(TOKEN_EXPIRED_CLOSE_CODE);
  });

  it('closes the socket with 4403 when its session is revoked or its role changes, and refuses the token afterwards', async () => {
    const guard = fakeGuard();
    const { url } = await serve(fakeHandlers([{ data: { n: 1 } }], guard.guard));
    const issue = guard.issuer(3600);
    const session = await issue.issue({ id: 'u2', role: 'CUSTOMER' }, 's-ws');
    const closes: number[] = [];
    const { received, done } = run(client(url, `Bearer ${session.token}`, closes), 'subscription { hold }');
    await expect.poll(() => received.length).toBe(1);
    await guard.revocations.revoke({ kind: 'session', userId: 'u2', sessionId: 's-ws' });
    await done;
    expect(closes).toEqual([TOKEN_EXPIRED_CLOSE_CODE]);
    const again: number[] = [];
    await run(client(url, `Bearer ${session.token}`, again), 'subscription { n }').done;
    expect(again).toEqual([TOKEN_EXPIRED_CLOSE_CODE]);

    const admin = await issue.issue({ id: 'u3', role: 'ADMIN' }, 's-admin');
    const demoted: number[] = [];
    const feed = run(client(url, `Bearer ${admin.token}`, demoted), 'subscription { hold }');
    await expect.poll(() => feed.received.length).toBe(1);
    await guard.revocations.revoke({ kind: 'role', userId: 'u9', role: 'CUSTOMER', at: Date.now() }); // someone else: nothing ends
    expect(transport!.clients()).toBe(1);
    await guard.revocations.revoke({ kind: 'role', userId: 'u3', role: 'CUSTOMER', at: Date.now() });
    await feed.done;
    expect(demoted).toEqual([TOKEN_EXPIRED_CLOSE_CODE]);
  });

  it('refuses the next operation on a socket whose session was revoked unheard, and closes it with 4403', async () => {
    const guard = fakeGuard({}, { deaf: true });
    const { url } = await serve(fakeHandlers([{ data: { n: 1 } }], guard.guard));
    const { token } = await guard.issuer(3600).issue({ id: 'u5', role: 'CUSTOMER' }, 's-unheard');
    const closes: number[] = [];
    const c = client(url, `Bearer ${token}`, closes);
    const first = run(c, 'subscription { hold }');
    await expect.poll(() => first.received.length).toBe(1);
    await guard.revocations.revoke({ kind: 'session', userId: 'u5', sessionId: 's-unheard' });
    expect(transport!.clients()).toBe(1); // nobody told the socket
    const next = run(c, 'subscription { n }');
    // The socket is closed before anything of the operation is served.
    expect(await next.done).not.toBe('complete');
    expect(next.received).toEqual([]);
    await expect.poll(() => closes).toEqual([TOKEN_EXPIRED_CLOSE_CODE]);
  });

  it('caps open sockets per user (4429) and subscriptions per client (RATE_LIMITED), freeing slots as they close', async () => {
    const guard = fakeGuard({ socketsPerUser: 1, subscriptionsPerUser: 2 });
    const { url } = await serve(fakeHandlers([{ data: { n: 1 } }], guard.guard));
    const { token } = await guard.issuer(3600).issue({ id: 'u4', role: 'CUSTOMER' }, 's-cap');
    const first = client(url, `Bearer ${token}`);
    const a = run(first, 'subscription { hold }');
    const b = run(first, 'subscription { hold }');
    await expect.poll(() => a.received.length + b.received.length).toBe(2);
    const third = run(first, 'subscription { hold }');
    expect(await third.done).toBe('complete');
    expect(third.received).toEqual([
      { errors: [expect.objectContaining({ extensions: { code: 'RATE_LIMITED', limit: 'subscriptions' } })] },
    ]);

    const closes: number[] = [];
    await run(client(url, `Bearer ${token}`, closes), 'subscription { n }').done;
    expect(closes).toEqual([TOO_MANY_SOCKETS_CLOSE_CODE]);
    // Anonymous clients are counted by address, apart from the user.
    expect(await run(client(url), 'subscription { n }').done).toBe('complete');
    await first.dispose();
    await expect.poll(() => transport!.clients()).toBe(0);
    expect(await run(client(url, `Bearer ${token}`), 'subscription { n }').done).toBe('complete');
  });

  it('counts open sockets and closes them with 1001 on dispose, releasing their subscriptions', async () => {
    const { url, handlers } = await serve();
    const closes: number[] = [];
    const { received, done } = run(client(url, undefined, closes), 'subscription { hold }');
    await expect.poll(() => received.length).toBe(2);
    expect(transport!.clients()).toBe(1);
    await transport!.dispose();
    await done;
    expect(closes).toEqual([1001]);
    expect(handlers.left).toBe(1);
  });
});
