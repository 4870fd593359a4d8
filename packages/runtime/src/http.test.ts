import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { GraphQLError } from 'graphql';
import net from 'node:net';
import {
  createErrorFormatter,
  createGraphQLHandler,
  createLogger,
  listen,
  READINESS_CHECK_TIMEOUT_MS,
  type ReadinessCheck,
  type RunningHttpServer,
} from './index.js';

interface Ctx {
  who: string;
}

let apollo: ApolloServer<Ctx>;
const servers: RunningHttpServer[] = [];
const logLines: string[] = [];
let redisReady = true;

async function serve(options: { corsOrigins?: string[]; maxBodyBytes?: number; failContext?: boolean } = {}): Promise<string> {
  const readiness: ReadinessCheck[] = [
    { name: 'mongodb', check: async () => {} },
    {
      name: 'redis',
      check: async () => {
        if (!redisReady) throw new Error('connect ECONNREFUSED 10.1.2.3:6379');
      },
    },
  ];
  const handler = createGraphQLHandler<Ctx>({
    apollo,
    logger: createLogger('test', 'error', (line) => logLines.push(line)),
    readiness,
    corsOrigins: options.corsOrigins,
    maxBodyBytes: options.maxBodyBytes,
    context: async (req) => {
      if (options.failContext) throw new Error('context exploded: secret detail');
      return { who: req.headers['x-who'] ? String(req.headers['x-who']) : 'anonymous' };
    },
  });
  const running = await listen(handler, 0, '127.0.0.1');
  servers.push(running);
  return running.url;
}

beforeAll(async () => {
  apollo = new ApolloServer<Ctx>({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: (_p: unknown, _a: unknown, ctx: Ctx) => `hello ${ctx.who}` } },
    // As every subgraph is set up (createSubgraphApollo).
    formatError: createErrorFormatter(createLogger('test', 'error', (line) => logLines.push(line))),
    includeStacktraceInErrorResponses: false,
  });
  await apollo.start();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await apollo.stop();
});

const postJson = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('createGraphQLHandler', () => {
  it('serves GraphQL at /graphql with the per-request context', async () => {
    const url = await serve();
    const response = await postJson(url, JSON.stringify({ query: '{ hello }' }), { 'x-who': 'asha' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: 'hello asha' } });
  });

  it('answers /health without touching dependencies', async () => {
    const url = await serve();
    const response = await fetch(`${url}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /ready with 200 when every check passes and 503 naming the failing one (without its address)', async () => {
    const url = await serve();
    redisReady = true;
    const ready = await fetch(`${url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'mongodb', ok: true },
        { name: 'redis', ok: true },
      ],
    });
    redisReady = false;
    try {
      const notReady = await fetch(`${url}/ready`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'not ready',
        checks: [
          { name: 'mongodb', ok: true },
          { name: 'redis', ok: false, error: 'redis is unreachable' },
        ],
      });
    } finally {
      redisReady = true;
    }
  });

  it('answers 404 for other paths, naming where GraphQL is', async () => {
    const url = await serve();
    const response = await fetch(`${url}/graphiql`);
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: string }).error).toContain('/graphql');
  });

  it('answers 400 BAD_REQUEST for a body that is not JSON', async () => {
    const url = await serve();
    const response = await postJson(url, '{ "query": ');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ message: 'request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('marks a refusal made before Apollo Server runs as not cacheable, so no CDN keeps it', async () => {
    const url = await serve();
    const response = await postJson(url, '{ "query": ');
    expect(response.status).toBe(400);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('asks checkOperation about the document and persisted query hash, over POST and GET, before Apollo Server runs', async () => {
    const seen: unknown[] = [];
    const handler = createGraphQLHandler<Ctx>({
      apollo,
      logger: createLogger('test', 'error', (line) => logLines.push(line)),
      readiness: [],
      context: async () => ({ who: 'anyone' }),
      checkOperation: (operation) => {
        seen.push(operation);
        return operation.query === '{ hello }'
          ? null
          : new GraphQLError('not on the list', { extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } });
      },
    });
    const running = await listen(handler, 0, '127.0.0.1');
    servers.push(running);
    const allowed = await postJson(running.url, JSON.stringify({ query: '{ hello }' }));
    expect(allowed.status).toBe(200);
    const hash = 'a'.repeat(64);
    const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
    const refused = await fetch(`${running.url}/graphql?extensions=${encodeURIComponent(extensions)}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(await refused.json()).toEqual({ errors: [{ message: 'not on the list', extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } }] });
    await fetch(`${running.url}/graphql?query=${encodeURIComponent('{ hello }')}&extensions=not-json`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(seen).toEqual([{ query: '{ hello }' }, { persistedQueryHash: hash }, { query: '{ hello }' }]);
  });

  it('refuses a body over the size limit', async () => {
    const url = await serve({ maxBodyBytes: 1_000 });
    const small = await postJson(url, JSON.stringify({ query: '{ hello }' }));
    expect(small.status).toBe(200);
    const tooBig = await postJson(url, JSON.stringify({ query: `{ hello } # ${'x'.repeat(5_000)}` }));
    expect(tooBig.status).toBe(413);
    expect(((await tooBig.json()) as { errors: { message: string }[] }).errors[0].message).toMatch(/larger than 1000 bytes/);
  });

  it('masks a failure to build the context with a generic message, and logs the detail', async () => {
    logLines.length = 0;
    const url = await serve({ failContext: true });
    const response = await postJson(url, JSON.stringify({ query: '{ hello }' }));
    const body = (await response.json()) as { errors: unknown[] };
    expect(response.status).toBe(500);
    expect(body.errors).toEqual([
      expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
    ]);
    expect(JSON.stringify(body)).not.toContain('secret detail');
    expect(logLines.join('\n')).toContain('secret detail');
  });
});

describe('request ids', () => {
  it("answers with the client's X-Request-Id when it is valid, and with a new one otherwise", async () => {
    const url = await serve();
    const idOf = async (header?: string) =>
      (await fetch(`${url}/health`, { headers: header === undefined ? {} : { 'x-request-id': header } })).headers.get('x-request-id');
    expect(await idOf('checkout-7f3a.b_2')).toBe('checkout-7f3a.b_2');
    const generated = [await idOf(), await idOf('has spaces'), await idOf('x'.repeat(129)), await idOf('a"b')];
    for (const id of generated) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(generated).size).toBe(generated.length);
  });

  it('puts the request id on the lines logged while serving it', async () => {
    const url = await serve({ failContext: true });
    logLines.length = 0;
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-for-logs-1' },
      body: JSON.stringify({ query: '{ hello }' }),
    });
    expect(logLines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 'error')).toEqual([
      expect.objectContaining({ request_id: 'req-for-logs-1' }),
    ]);
  });
});

describe('CORS', () => {
  it('sends no CORS headers when no origins are configured', async () => {
    const url = await serve();
    const response = await fetch(`${url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.in' } });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('echoes an allowed origin and ignores others', async () => {
    const url = await serve({ corsOrigins: ['https://shop.example.in'] });
    const allowed = await fetch(`${url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://shop.example.in' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example.in');
    expect(allowed.headers.get('vary')).toBe('Origin');
    expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');

    const other = await fetch(`${url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("answers '*' when any origin is allowed", async () => {
    const url = await serve({ corsOrigins: ['*'] });
    const response = await postJson(url, JSON.stringify({ query: '{ hello }' }), { origin: 'https://studio.apollographql.com' });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('slow and oversized requests', () => {
  const timeouts = { headersTimeoutMs: 300, requestTimeoutMs: 600, maxHeaderBytes: 2_048 };

  /** Opens a raw connection, writes `text`, and resolves with what the server answered once it closed the socket. */
  function rawExchange(port: number, text: string): Promise<{ answer: string; closedAfterMs: number }> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1', () => socket.write(text));
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve({ answer, closedAfterMs: Date.now() - started }));
    });
  }

  it('cuts off a client that does not finish its headers in time', async () => {
    const running = await listen((_req, res) => void res.end('ok'), 0, '127.0.0.1', undefined, timeouts);
    try {
      const { answer } = await rawExchange(running.port, 'POST /graphql HTTP/1.1\r\nhost: x\r\nx-slow: ');
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await running.close();
    }
  });

  it('cuts off a client whose body does not arrive in time', async () => {
    const running = await listen((req, res) => void req.resume().on('end', () => res.end('ok')), 0, '127.0.0.1', undefined, timeouts);
    try {
      const { answer } = await rawExchange(running.port, 'POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"query":');
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await running.close();
    }
  });

  it('refuses headers larger than the limit with 431', async () => {
    const running = await listen((_req, res) => void res.end('ok'), 0, '127.0.0.1', undefined, timeouts);
    try {
      const { answer } = await rawExchange(running.port, `GET /health HTTP/1.1\r\nhost: x\r\nx-big: ${'y'.repeat(3_000)}\r\n\r\n`);
      expect(answer).toMatch(/^HTTP\/1\.1 431/);
    } finally {
      await running.close();
    }
  });
});

describe('a client that aborts its request', () => {
  it('is not logged as a failure', async () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'debug', (line) => lines.push(line));
    const handler = createGraphQLHandler({ apollo, logger, readiness: [], context: async () => ({ who: 'x' }) });
    const running = await listen(handler, 0, '127.0.0.1');
    try {
      const socket = net.connect(running.port, '127.0.0.1', () =>
        socket.write('POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"query":'),
      );
      // Time for the server to start reading the body; if it has not, no "went away" line comes and the test fails.
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      await vi.waitFor(() => expect(lines.some((line) => line.includes('client went away'))).toBe(true));
      expect(lines.filter((line) => line.includes('"level":"error"'))).toEqual([]);
    } finally {
      await running.close();
    }
  });
});

describe('a graceful stop', () => {
  /** A server whose /slow answers after `slowMs` and /stuck never; `received` counts requests that reached the handler. */
  async function slowServer(slowMs: number) {
    let received = 0;
    const running = await listen(
      (req, res) => {
        received += 1;
        if (req.url === '/slow') setTimeout(() => res.end('done'), slowMs);
        else if (req.url === '/stream') res.writeHead(200, { 'content-type': 'text/event-stream' }).write(':\n\n');
        // /stuck: never answered
      },
      0,
      '127.0.0.1',
    );
    return { running, received: () => received };
  }

  const connectFails = (port: number) =>
    new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });

  it('stops accepting connections at once and lets a request in flight finish', async () => {
    const { running, received } = await slowServer(300);
    try {
      const answer = fetch(`${running.url}/slow`);
      await vi.waitFor(() => expect(received()).toBe(1));
      running.stopAccepting();
      expect(await connectFails(running.port)).toBe('ECONNREFUSED');
      expect(await running.finishRequests(5_000)).toBe(0);
      const response = await answer;
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('done');
    } finally {
      await running.close(100);
    }
  });

  it('cuts a request still running at the deadline, so a stuck one cannot hold the stop', async () => {
    const { running, received } = await slowServer(0);
    try {
      const answer = fetch(`${running.url}/stuck`).then(
        () => 'answered',
        () => 'cut',
      );
      await vi.waitFor(() => expect(received()).toBe(1));
      running.stopAccepting();
      const started = Date.now();
      expect(await running.finishRequests(300)).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(await answer).toBe('cut');
    } finally {
      await running.close(100);
    }
  });

  it('does not wait for an event stream (the subscription layer ends those)', async () => {
    const { running, received } = await slowServer(0);
    const controller = new AbortController();
    try {
      const stream = await fetch(`${running.url}/stream`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
      expect(stream.status).toBe(200);
      expect(received()).toBe(1);
      running.stopAccepting();
      const started = Date.now();
      expect(await running.finishRequests(5_000)).toBe(0);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      controller.abort();
      await running.close(100);
    }
  });

  it('answers with connection: close while draining, so keep-alive clients move to another instance', async () => {
    let draining = false;
    const handler = createGraphQLHandler<Ctx>({
      apollo,
      logger: createLogger('test', 'silent'),
      readiness: [],
      draining: () => draining,
      context: async () => ({ who: 'x' }),
    });
    const running = await listen(handler, 0, '127.0.0.1');
    servers.push(running);
    const before = await postJson(running.url, JSON.stringify({ query: '{ hello }' }));
    expect(before.headers.get('connection')).not.toBe('close');
    draining = true;
    const during = await postJson(running.url, JSON.stringify({ query: '{ hello }' }));
    expect(during.status).toBe(200);
    expect(await during.json()).toEqual({ data: { hello: 'hello x' } });
    expect(during.headers.get('connection')).toBe('close');
    expect((await fetch(`${running.url}/ready`)).status).toBe(503);
  });

  it('answers /ready with 503 when a check does not answer within its time', async () => {
    const handler = createGraphQLHandler<Ctx>({
      apollo,
      logger: createLogger('test', 'silent'),
      readiness: [{ name: 'mongodb', check: () => new Promise<void>(() => {}) }],
      context: async () => ({ who: 'x' }),
    });
    const running = await listen(handler, 0, '127.0.0.1');
    servers.push(running);
    const started = Date.now();
    const response = await fetch(`${running.url}/ready`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not ready',
      checks: [{ name: 'mongodb', ok: false, error: 'mongodb is unreachable' }],
    });
    expect(Date.now() - started).toBeLessThan(READINESS_CHECK_TIMEOUT_MS + 1_000);
  });
});
