import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { TokenService } from '@supergraph/auth';
import { listen, MAX_BODY_BYTES, type RunningHttpServer } from '@supergraph/runtime';
import { fakeHandlers } from './transport.fixture.js';
import { createWebSocketTransport, TOKEN_EXPIRED_CLOSE_CODE, type WebSocketTransport } from './websocket.js';

let server: RunningHttpServer | undefined;
let transport: WebSocketTransport | undefined;
const clients: Client[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => Promise.resolve(c.dispose())));
  await transport?.dispose();
  await server?.close();
});

async function serve(handlers = fakeHandlers([{ data: { n: 1 } }, { data: { n: 2 } }])) {
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
    const token = await new TokenService('t'.repeat(32), 1).issue({ id: 'u1', role: 'CUSTOMER' });
    const closes: number[] = [];
    const { done } = run(client(url, `Bearer ${token}`, closes), 'subscription { hold }');
    await done;
    expect(closes).toContain(TOKEN_EXPIRED_CLOSE_CODE);
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
