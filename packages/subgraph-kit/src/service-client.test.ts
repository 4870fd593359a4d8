import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { callService, ServiceCallError } from './index.js';

/** A real HTTP peer whose answer each test chooses; it records what it was sent. */
let server: http.Server;
let baseUrl: string;
let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void;
let received: { headers: http.IncomingHttpHeaders; body: any }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const json = (status: number, body: unknown) => (_req: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('callService', () => {
  it('POSTs the operation as JSON with the given headers and returns data', async () => {
    received = [];
    answer = json(200, { data: { reserveStock: [{ productId: 'p', quantity: 1 }] } });
    const data = await callService<{ reserveStock: unknown[] }>(
      baseUrl,
      'mutation { reserveStock }',
      { orderId: 'o1' },
      { headers: { 'x-service-credential': 'signed-credential', 'content-type': 'text/plain' } },
    );
    expect(data).toEqual({ reserveStock: [{ productId: 'p', quantity: 1 }] });
    expect(received).toHaveLength(1);
    expect(received[0].body).toEqual({ query: 'mutation { reserveStock }', variables: { orderId: 'o1' } });
    // The body is JSON whatever the caller's headers say.
    expect(received[0].headers['content-type']).toBe('application/json');
    expect(received[0].headers['x-service-credential']).toBe('signed-credential');
  });

  it('sends no credential or authorization header when none is given', async () => {
    received = [];
    answer = json(200, { data: { ok: true } });
    await callService(baseUrl, '{ ok }', {});
    expect(received[0].headers.authorization).toBeUndefined();
    expect(received[0].headers['x-service-credential']).toBeUndefined();
  });

  it.each(['BAD_USER_INPUT', 'NOT_FOUND', 'OUT_OF_STOCK', 'CONFLICT', 'FORBIDDEN', 'LIMIT_REACHED'])(
    'passes a %s error on with its message and extensions',
    async (code) => {
      answer = json(200, { data: null, errors: [{ message: 'Only 1 unit(s) left', extensions: { code, productId: 'p1', available: 1 } }] });
      const error = await rejection(callService(baseUrl, '{ x }', {}));
      expect(error).toBeInstanceOf(GraphQLError);
      expect((error as GraphQLError).message).toBe('Only 1 unit(s) left');
      expect((error as GraphQLError).extensions).toEqual({ code, productId: 'p1', available: 1 });
    },
  );

  it.each(['INTERNAL_SERVER_ERROR', 'UNAUTHENTICATED', undefined])('turns an upstream %s error into an ServiceCallError', async (code) => {
    answer = json(200, { errors: [{ message: 'boom', extensions: code ? { code } : undefined }] });
    const error = await rejection(callService(baseUrl, '{ x }', {}));
    expect(error).toBeInstanceOf(ServiceCallError);
    expect(error).not.toBeInstanceOf(GraphQLError);
    expect((error as Error).message).toContain('boom');
  });

  it('fails with an ServiceCallError for a body that is not JSON', async () => {
    answer = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<h1>Bad gateway</h1>');
    };
    const error = await rejection(callService(baseUrl, '{ x }', {}));
    expect(error).toBeInstanceOf(ServiceCallError);
    expect((error as Error).message).toContain('502');
  });

  it('fails with an ServiceCallError for an answer with neither data nor errors', async () => {
    answer = json(200, {});
    expect(await rejection(callService(baseUrl, '{ x }', {}))).toBeInstanceOf(ServiceCallError);
  });

  it('fails with an ServiceCallError when the peer is too slow', async () => {
    answer = (_req, res) => {
      setTimeout(() => json(200, { data: { late: true } })(_req, res), 1_000).unref();
    };
    // Without the timeout the late answer would arrive and the call would succeed.
    const error = await rejection(callService(baseUrl, '{ x }', {}, { timeoutMs: 100 }));
    expect(error).toBeInstanceOf(ServiceCallError);
  });

  it('fails with an ServiceCallError when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(callService(`http://127.0.0.1:${port}/graphql`, '{ x }', {}));
    expect(error).toBeInstanceOf(ServiceCallError);
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
  });
});
