import http, { type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, listen, type RunningHttpServer } from '@supergraph/runtime';
import type { ExecutionResult } from 'graphql';
import { atExpiry, createSseTransport, until, type SseTransport } from './sse.js';
import { fakeGuard, fakeHandlers } from './transport.fixture.js';

let server: RunningHttpServer | undefined;
let transport: SseTransport;

afterEach(async () => {
  await server?.close();
});

async function serve(maxBodyBytes?: number, guard = fakeGuard()) {
  transport = createSseTransport({
    ...fakeHandlers([{ data: { n: 1 } }, { data: { n: 2 } }], guard.guard),
    logger: createLogger('test', 'silent'),
    corsOrigins: ['https://shop.example.in'],
    maxBodyBytes,
  });
  server = await listen((req, res) => (transport.handles(req) ? transport.serve(req, res) : void res.writeHead(404).end()), 0, '127.0.0.1');
  return `http://127.0.0.1:${server.port}/graphql`;
}

const stream = (url: string, query: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query }),
  });

/** The `data:` payloads of `event: next`, and whether the stream said `complete`. */
function events(text: string) {
  const blocks = text.split('\n\n').filter(Boolean);
  return {
    next: blocks
      .filter((b) => b.startsWith('event: next'))
      .map((b) =>
        JSON.parse(
          b
            .split('\n')
            .find((l) => l.startsWith('data: '))!
            .slice(6),
        ),
      ),
    completed: blocks.some((b) => b.startsWith('event: complete')),
  };
}

describe('SSE transport', () => {
  it('serves only event-stream requests on its path', () => {
    const req = (method: string, url: string, accept: string) => ({ method, url, headers: { accept } }) as unknown as IncomingMessage;
    const sse = createSseTransport({ ...fakeHandlers([]), logger: createLogger('test', 'silent'), corsOrigins: [] });
    expect(sse.handles(req('POST', '/graphql', 'text/event-stream'))).toBe(true);
    expect(sse.handles(req('GET', '/graphql?query=x', 'text/event-stream'))).toBe(true);
    expect(sse.handles(req('POST', '/graphql', 'application/json'))).toBe(false);
    expect(sse.handles(req('OPTIONS', '/graphql', 'text/event-stream'))).toBe(false);
    expect(sse.handles(req('POST', '/other', 'text/event-stream'))).toBe(false);
  });

  it('streams every result, then completes, with CORS for an allowed origin', async () => {
    const url = await serve();
    const response = await stream(url, 'subscription { n }', { origin: 'https://shop.example.in' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://shop.example.in');
    expect(events(await response.text())).toEqual({ next: [{ data: { n: 1 } }, { data: { n: 2 } }], completed: true });
    expect(transport.streams()).toBe(0);
  });

  it('answers a refused operation with its errors', async () => {
    const url = await serve();
    const { next } = events(await (await stream(url, 'subscription { refuse }')).text());
    expect(next[0].errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a chunked body over the limit with 413, though it has no Content-Length', async () => {
    const url = new URL(await serve(1_000));
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      expect(req.getHeader('content-length')).toBeUndefined();
      // Sent in pieces with Transfer-Encoding: chunked; the server stops reading past its limit.
      for (let i = 0; i < 5; i++) req.write('x'.repeat(400));
      req.end();
    });
    expect(status).toBe(413);
    expect(JSON.parse(body).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('ends a running stream with UNAUTHENTICATED when its session is revoked, and leaves other sessions alone', async () => {
    const guard = fakeGuard();
    const url = await serve(undefined, guard);
    const issue = guard.issuer(3600);
    const mine = await issue.issue({ id: 'u1', role: 'ADMIN' }, 'session-1');
    const other = await issue.issue({ id: 'u1', role: 'ADMIN' }, 'session-2');
    const revoked = await stream(url, 'subscription { hold }', { authorization: `Bearer ${mine.token}` });
    const kept = await stream(url, 'subscription { hold }', { authorization: `Bearer ${other.token}` });
    const text = revoked.text();
    await expect.poll(() => transport.streams()).toBe(2);
    await guard.revocations.revoke({ kind: 'session', userId: 'u1', sessionId: 'session-1' });
    const { next, completed } = events(await text);
    expect(next.at(-1).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(completed).toBe(true);
    await expect.poll(() => transport.streams()).toBe(1);
    // A demotion ends the other session's admin stream too.
    await guard.revocations.revoke({ kind: 'role', userId: 'u1', role: 'CUSTOMER', at: Date.now() });
    expect(events(await kept.text()).next.at(-1).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    // A revoked token cannot open a new stream.
    const refused = events(await (await stream(url, 'subscription { n }', { authorization: `Bearer ${mine.token}` })).text());
    expect(refused.next[0].errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it("refuses a stream past the client's subscription budget with RATE_LIMITED", async () => {
    const url = await serve(undefined, fakeGuard({ requestsPerMinutePerIp: 2 }));
    for (let i = 0; i < 2; i++) expect(events(await (await stream(url, 'subscription { n }')).text()).completed).toBe(true);
    const third = events(await (await stream(url, 'subscription { n }')).text());
    expect(third.next[0].errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'requests-per-ip' });
  });

  it('lets go of the subscription when the client disconnects', async () => {
    const url = await serve();
    const response = await stream(url, 'subscription { hold }');
    const reader = response.body!.getReader();
    await reader.read();
    expect(transport.streams()).toBe(1);
    await reader.cancel();
    await expect.poll(() => transport.streams()).toBe(0);
  });
});

describe('SSE token expiry', () => {
  /** A stream that yields `values` and then waits until it is returned. */
  function held(values: ExecutionResult[]) {
    const state = { returned: false };
    const queue = [...values];
    const stream: AsyncIterableIterator<ExecutionResult> = {
      next: () => (queue.length ? Promise.resolve({ value: queue.shift()!, done: false }) : new Promise(() => {})),
      return: () => {
        state.returned = true;
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => stream,
    };
    return { stream, state };
  }

  it('passes results through until the token expires, then sends UNAUTHENTICATED once and lets go', async () => {
    const { stream, state } = held([{ data: { n: 1 } }]);
    const limited = until(stream, [atExpiry(Date.now() + 50)]);
    expect(await limited.next()).toEqual({ value: { data: { n: 1 } }, done: false });
    const expired = await limited.next();
    expect(expired.value?.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(await limited.next()).toEqual({ value: undefined, done: true });
    expect(state.returned).toBe(true);
  });

  it('lets go of the stream when the client leaves first', async () => {
    const { stream, state } = held([]);
    const limited = until(stream, [atExpiry(Date.now() + 60_000)]);
    await limited.return?.();
    expect(state.returned).toBe(true);
    expect(await limited.next()).toEqual({ value: undefined, done: true });
  });
});
