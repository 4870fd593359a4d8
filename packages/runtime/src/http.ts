import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { GraphQLError } from 'graphql';
import { UNCACHEABLE } from './cache-policy.js';
import { ErrorCode } from './errors.js';
import type { Logger } from './logger.js';
import { currentTraceparent } from './trace-context.js';
import { currentRequestScope, REQUEST_ID_HEADER, requestIdFrom, runInRequestScope } from './request-scope.js';

/**
 * The largest request any service reads: an HTTP body (plain or for an event stream) or a
 * WebSocket message. A GraphQL document with its variables fits well within it.
 */
export const MAX_BODY_BYTES = 1_000_000;

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export interface GraphQLHttpOptions<TContext extends BaseContext, TAdmission = undefined> {
  apollo: ApolloServer<TContext>;
  /**
   * Decides whether a GraphQL request may be served at all, before its body is read: throws an
   * HttpError to refuse it (401 without a service credential, 429 over a budget). What it returns
   * is handed to `context`. /health and /ready never pass through it.
   */
  admit?: (req: IncomingMessage) => Promise<TAdmission>;
  /** Builds the per-request context (fresh DataLoaders, the caller's identity). */
  context: (req: IncomingMessage, admission: TAdmission) => Promise<TContext>;
  readiness: ReadinessCheck[];
  /** True once the service is shutting down: /ready answers 503 so load balancers stop sending requests. */
  draining?: () => boolean;
  /** Serves GET /metrics (Prometheus text) when given: outside production, unless METRICS_PORT moves it. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** Extra fields for the /health body (cheap counters only: it is polled often). */
  health?: () => Record<string, unknown>;
  logger: Logger;
  /** Origins allowed to call from a browser; '*' allows any. Empty: no CORS headers. */
  corsOrigins?: string[];
  graphqlPath?: string;
  maxBodyBytes?: number;
  /**
   * Checks the document text before Apollo Server parses it (length, tokens); a GraphQLError it
   * returns is answered with HTTP 400 and nothing is parsed.
   */
  checkDocument?: (query: string) => GraphQLError | null;
  /**
   * Decides, before Apollo Server sees the request, whether the operation it names (its document
   * and/or persisted query hash) may run at all, e.g. only registered operations; a GraphQLError it
   * returns is answered with HTTP 400.
   */
  checkOperation?: (operation: RequestedOperation) => GraphQLError | null;
}

/** What a GraphQL request asks to run: its document and its automatic persisted query hash, each when sent. */
export interface RequestedOperation {
  query?: string;
  persistedQueryHash?: string;
}

/** A request that cannot be served, answered with its HTTP status and a GraphQL error body with `code` (BAD_REQUEST by default). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: ErrorCode = ErrorCode.BadRequest,
    /** Extra response headers (e.g. Retry-After) and error extensions. */
    readonly extras: { headers?: Record<string, string>; extensions?: Record<string, unknown> } = {},
  ) {
    super(message);
  }
}

/**
 * Reads a request body up to `limit` bytes, however it is sent (Content-Length or chunked):
 * a larger one is refused with a 413 HttpError as soon as it crosses the limit.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        // Stop buffering but keep the socket open so the 413 reaches the client.
        req.removeAllListeners('data');
        req.resume();
        reject(new HttpError(413, `request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/** True when the client aborted its request (closed the connection before sending all of it). */
export function clientWentAway(req: IncomingMessage): boolean {
  return req.destroyed && !req.complete;
}

/** Answers an HttpError: its status and headers, and the message as a GraphQL error with its code. */
export function sendHttpError(res: ServerResponse, error: HttpError): void {
  // After a 413 the rest of the body is not read, so the connection cannot be reused.
  if (error.status === 413) res.setHeader('connection', 'close');
  for (const [name, value] of Object.entries(error.extras.headers ?? {})) res.setHeader(name, value);
  sendJson(res, error.status, { errors: [{ message: error.message, extensions: { ...error.extras.extensions, code: error.code } }] });
}

export function applyCors(req: IncomingMessage, res: ServerResponse, origins: string[]): void {
  const origin = req.headers.origin;
  if (!origin || origins.length === 0) return;
  if (origins.includes('*') || origins.includes(origin)) {
    res.setHeader('access-control-allow-origin', origins.includes('*') ? '*' : origin);
    res.setHeader('vary', 'Origin');
    res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
    res.setHeader(
      'access-control-allow-headers',
      'content-type, authorization, apollographql-client-name, apollographql-client-version, apollo-require-preflight, x-apollo-operation-name',
    );
    res.setHeader('access-control-max-age', '600');
  }
}

/**
 * The document and persisted query hash of a request: a JSON body's `query` and
 * `extensions.persistedQuery.sha256Hash`, or on GET the `query` and (JSON) `extensions` parameters.
 * Whatever is malformed is left out here; Apollo Server answers it.
 */
function requestedOperation(body: unknown, url: URL): RequestedOperation {
  const fromBody = body !== null && typeof body === 'object';
  const query = fromBody ? (body as { query?: unknown }).query : url.searchParams.get('query');
  let extensions = fromBody ? (body as { extensions?: unknown }).extensions : undefined;
  if (!fromBody && url.searchParams.has('extensions')) {
    try {
      extensions = JSON.parse(url.searchParams.get('extensions') ?? '');
    } catch {
      extensions = undefined;
    }
  }
  const hash = (extensions as { persistedQuery?: { sha256Hash?: unknown } } | null | undefined)?.persistedQuery?.sha256Hash;
  return {
    ...(typeof query === 'string' ? { query } : {}),
    ...(typeof hash === 'string' ? { persistedQueryHash: hash } : {}),
  };
}

/** The first refusal of the request's document (checkDocument) or operation (checkOperation), if any. */
function refusalOf<TContext extends BaseContext, TAdmission>(
  body: unknown,
  url: URL,
  options: GraphQLHttpOptions<TContext, TAdmission>,
): GraphQLError | null {
  if (!options.checkDocument && !options.checkOperation) return null;
  const operation = requestedOperation(body, url);
  const tooLarge = operation.query !== undefined ? (options.checkDocument?.(operation.query) ?? null) : null;
  return tooLarge ?? options.checkOperation?.(operation) ?? null;
}

/**
 * How long one readiness check may take: a load balancer's probe gives up after a few seconds,
 * and an answer (503) it gets is worth more than one it waits for.
 */
export const READINESS_CHECK_TIMEOUT_MS = 3_000;

/**
 * Runs one readiness check within READINESS_CHECK_TIMEOUT_MS. The body says only which dependency
 * failed; the driver's message (host names, ports) goes to the log, since /ready is open to anyone.
 */
async function runReadinessCheck({ name, check }: ReadinessCheck, logger: Logger): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${READINESS_CHECK_TIMEOUT_MS} ms`)), READINESS_CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (error) {
    logger.warn('readiness check failed', { check: name, error });
    return { name, ok: false, error: `${name} is unreachable` };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One line per GraphQL request once its answer is sent: status and time, with the request id and
 * operation name every line of the request carries, so a slow or failed request can be found in
 * every service it reached.
 */
function logWhenServed(req: IncomingMessage, res: ServerResponse, logger: Logger): void {
  const started = performance.now();
  // 'finish' fires outside the request's async context; the scope is carried over by hand.
  const scope = currentRequestScope();
  res.once('finish', () => {
    const fields = { method: req.method, status: res.statusCode, ms: Math.round(performance.now() - started) };
    if (scope) runInRequestScope(scope, () => logger.info('request served', fields));
    else logger.info('request served', fields);
  });
}

/** A node:http request handler serving GraphQL, /health and /ready. */
export function createGraphQLHandler<TContext extends BaseContext, TAdmission = undefined>(
  options: GraphQLHttpOptions<TContext, TAdmission>,
) {
  const path = options.graphqlPath ?? '/graphql';
  const limit = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const corsOrigins = options.corsOrigins ?? [];

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    // While draining, each answer ends its keep-alive connection, so a client (a load balancer's pool)
    // opens its next one to an instance that is staying.
    if (options.draining?.()) res.setHeader('connection', 'close');
    try {
      applyCors(req, res, corsOrigins);
      if (req.method === 'OPTIONS') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/health') {
        sendJson(res, 200, { status: 'ok', ...(options.health?.() ?? {}) });
        return;
      }
      if (url.pathname === '/metrics' && options.metrics && req.method === 'GET') {
        const { contentType, body } = await options.metrics();
        res.writeHead(200, { 'content-type': contentType });
        res.end(body);
        return;
      }
      if (url.pathname === '/ready' && options.draining?.()) {
        sendJson(res, 503, { status: 'draining', checks: [] });
        return;
      }
      if (url.pathname === '/ready') {
        const results = await Promise.all(options.readiness.map((check) => runReadinessCheck(check, options.logger)));
        const ready = results.every((r) => r.ok);
        sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', checks: results });
        return;
      }
      if (url.pathname !== path) {
        sendJson(res, 404, { error: `no route for ${url.pathname}; GraphQL is served at ${path}` });
        return;
      }

      logWhenServed(req, res, options.logger);
      // Nothing is cacheable until Apollo Server's cache control plugin says otherwise (its header
      // replaces this one): refusals and errors answered before it runs must not be kept by a CDN.
      res.setHeader('cache-control', UNCACHEABLE);
      const admission = options.admit ? await options.admit(req) : (undefined as TAdmission);
      const raw = req.method === 'POST' ? await readBody(req, limit) : '';
      let body: unknown = raw;
      if (req.method === 'POST' && (req.headers['content-type'] ?? '').includes('application/json')) {
        try {
          body = raw === '' ? {} : JSON.parse(raw);
        } catch {
          throw new HttpError(400, 'request body is not valid JSON');
        }
      }
      const refusal = refusalOf(body, url, options);
      if (refusal) {
        const { http: _http, ...extensions } = refusal.extensions;
        sendJson(res, 400, { errors: [{ message: refusal.message, extensions }] });
        return;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const response = await options.apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: url.search, body },
        context: () => options.context(req, admission),
      });
      for (const [key, value] of response.headers) res.setHeader(key, value);
      res.statusCode = response.status ?? 200;
      if (response.body.kind === 'complete') {
        res.end(response.body.string);
        return;
      }
      for await (const chunk of response.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (error) {
      if (error instanceof HttpError) {
        sendHttpError(res, error);
        return;
      }
      if (clientWentAway(req)) {
        // The client cut its own request off (a phone losing signal mid-upload): nothing failed here.
        options.logger.debug('client went away while sending its request', { path: url.pathname });
        return;
      }
      options.logger.error('request failed', { error, path: url.pathname });
      if (!res.headersSent) {
        sendJson(res, 500, { errors: [{ message: 'Internal server error', extensions: { code: ErrorCode.Internal } }] });
      } else {
        res.end();
      }
    }
  };
}

export interface RunningHttpServer {
  server: http.Server;
  port: number;
  url: string;
  /**
   * The first step of a graceful stop: closes the listening socket (no new connections) and idle
   * keep-alive sockets; responses from now on carry `connection: close`.
   */
  stopAccepting(): void;
  /**
   * Waits until the requests in flight have been answered, at most `deadlineMs`; the ones still
   * running then have their connections cut. Resolves with how many were cut. Event streams (a
   * request that accepts text/event-stream) are not waited for: they last as long as their
   * subscription, and the subscription layer ends them.
   */
  finishRequests(deadlineMs: number): Promise<number>;
  /**
   * stopAccepting, finishRequests (10 s unless given), a moment for event streams to end, then
   * closes every HTTP connection left and resolves once the server has closed (upgraded sockets
   * must have been closed by their owner).
   */
  close(deadlineMs?: number): Promise<void>;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** On close, how long event streams (ended by their owner just before) may take to finish before they are cut. */
const STREAM_END_GRACE_MS = 2_000;

/** How long a client may take to send a request, and how large its headers may be. */
export interface RequestTimeouts {
  /** All request headers must arrive within this (a client dribbling headers cannot hold a socket). */
  headersTimeoutMs: number;
  /** The whole request, body included, must arrive within this. Responses (event streams) are not bounded by it. */
  requestTimeoutMs: number;
  /** Largest total size of the request headers. */
  maxHeaderBytes: number;
}

export const DEFAULT_REQUEST_TIMEOUTS: RequestTimeouts = { headersTimeoutMs: 15_000, requestTimeoutMs: 30_000, maxHeaderBytes: 16_384 };

/**
 * When the request is traced (the http instrumentation has made its span the active one), the
 * response says which trace it is, so a client or a support ticket can name it.
 */
function returnTraceContext(res: ServerResponse): void {
  const traceparent = currentTraceparent();
  if (traceparent) res.setHeader('traceparent', traceparent);
}

/** Serves `handler` (and WebSocket upgrades, when `upgrade` is given) on host:port; port 0 picks a free one. */
export async function listen(
  handler: RequestHandler,
  port: number,
  host: string,
  upgrade?: UpgradeHandler,
  timeouts: RequestTimeouts = DEFAULT_REQUEST_TIMEOUTS,
): Promise<RunningHttpServer> {
  // The requests being answered and the event streams open, so a graceful stop can wait for them.
  const requests = new Set<ServerResponse>();
  const streams = new Set<ServerResponse>();
  const emptied = new Map<Set<ServerResponse>, () => void>();
  /** Resolves once `set` is empty or `ms` have passed. */
  const settle = async (set: Set<ServerResponse>, ms: number): Promise<void> => {
    if (set.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      emptied.set(set, resolve);
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    emptied.delete(set);
  };
  let accepting = true;
  const server = http.createServer(
    {
      maxHeaderSize: timeouts.maxHeaderBytes,
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      // How often Node checks those two timeouts; its default (30 s) would let a slow client stay far longer.
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersTimeoutMs),
    },
    (req, res) => {
      // A keep-alive connection must not outlive the server: the client opens its next one elsewhere.
      if (!accepting) res.setHeader('connection', 'close');
      const set = (req.headers.accept ?? '').includes('text/event-stream') ? streams : requests;
      set.add(res);
      res.once('close', () => {
        set.delete(res);
        if (set.size === 0) emptied.get(set)?.();
      });
      // Every log line of this request's work, in this service and the ones it calls, carries its id.
      const requestId = requestIdFrom(req.headers);
      res.setHeader(REQUEST_ID_HEADER, requestId);
      returnTraceContext(res);
      void runInRequestScope({ requestId }, () => handler(req, res));
    },
  );
  if (upgrade)
    server.on('upgrade', (req, socket, head) =>
      runInRequestScope({ requestId: requestIdFrom(req.headers) }, () => upgrade(req, socket, head)),
    );
  // Mobile clients reuse connections; keep them a little longer than typical load balancers.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  const displayHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const stopAccepting = () => {
    if (!accepting) return;
    accepting = false;
    server.close();
    server.closeIdleConnections();
  };
  const finishRequests = async (deadlineMs: number): Promise<number> => {
    await settle(requests, deadlineMs);
    const cut = requests.size;
    for (const res of requests) res.socket?.destroy();
    // Sockets that went idle while others finished.
    server.closeIdleConnections();
    return cut;
  };
  return {
    server,
    port: actualPort,
    url: `http://${displayHost}:${actualPort}`,
    stopAccepting,
    finishRequests,
    close: async (deadlineMs = 10_000) => {
      stopAccepting();
      await finishRequests(deadlineMs);
      // Event streams whose subscriptions were just ended get a moment to send their last event.
      await settle(streams, Math.min(deadlineMs, STREAM_END_GRACE_MS));
      server.closeAllConnections();
      await closed;
    },
  };
}
