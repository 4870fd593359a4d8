import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, type Request as SseRequest } from 'graphql-sse';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { authorizationFrom, tokenExpiry } from '@supergraph/auth';
import { applyCors, clientWentAway, ErrorCode, HttpError, MAX_BODY_BYTES, readBody, sendHttpError, type Logger } from '@supergraph/runtime';
import type { ClientIdentity } from '../admission.js';
import { errorResult } from './client-guard.js';
import type { SubscriptionContext } from './prepare.js';
import { withClient, type TransportHandlers } from './transport.js';

export interface SseTransportOptions extends TransportHandlers {
  logger: Logger;
  corsOrigins: string[];
  path?: string;
  maxBodyBytes?: number;
}

interface SseRequestContext {
  res: ServerResponse;
}

/** The context of one event stream: the subscription's, and when the token it was opened with expires. */
interface SseContext extends SubscriptionContext {
  expiresAt: number | null;
  client: ClientIdentity;
}

const tokenExpired = () => errorResult(ErrorCode.Unauthenticated, 'Your token has expired; subscribe again with a fresh token');
const sessionEnded = () =>
  errorResult(
    ErrorCode.Unauthenticated,
    'Your session has ended (logged out, or the account changed); refresh the session and subscribe again',
  );

/** Something that may end a stream: resolves with the last result to send, and is cancelled when the stream ends first. */
export interface StreamEnd {
  ended: Promise<ExecutionResult>;
  cancel: () => void;
}

/** Ends at `expiresAt` with an UNAUTHENTICATED result. */
export function atExpiry(expiresAt: number): StreamEnd {
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<ExecutionResult>((resolve) => {
    timer = setTimeout(() => resolve(tokenExpired()), Math.max(0, expiresAt - Date.now()));
    timer.unref();
  });
  return { ended, cancel: () => clearTimeout(timer) };
}

/**
 * A subscription's stream that ends at the first of `ends`: that one's result, then done, and
 * the subscription underneath is let go of. Authorization was checked when the stream opened; it
 * holds no longer than the token it was checked with, nor past its session's revocation.
 */
export function until(stream: AsyncIterableIterator<ExecutionResult>, ends: StreamEnd[]): AsyncIterableIterator<ExecutionResult> {
  const ended = Promise.race(ends.map((end) => end.ended.then((result) => ({ ended: result }))));
  let state: 'open' | 'ended' | 'done' = 'open';
  const finish = async (): Promise<IteratorResult<ExecutionResult>> => {
    if (state !== 'done') {
      state = 'done';
      for (const end of ends) end.cancel();
      await stream.return?.();
    }
    return { value: undefined, done: true };
  };
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      if (state !== 'open') return finish();
      const next = await Promise.race([stream.next(), ended]);
      if ('ended' in next) {
        state = 'ended';
        return { value: next.ended, done: false };
      }
      if (next.done) await finish();
      return next;
    },
    return: finish,
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** Ends when the guard reports the token's session revoked or its user's role changed. */
function atRevocation(options: TransportHandlers, client: ClientIdentity): StreamEnd {
  let cancel = () => {};
  const ended = new Promise<ExecutionResult>((resolve) => {
    cancel = options.guard.watch(client.token, () => resolve(sessionEnded()));
  });
  return { ended, cancel };
}

/**
 * GraphQL over Server-Sent Events (graphql-sse, distinct connections mode: one subscription per
 * request) for clients behind proxies that strip WebSockets. It owns its routing (requests that
 * accept text/event-stream on its path), its body limit and the expiry of each stream's token.
 *
 * The node adapter graphql-sse ships reads the request body without any limit (a chunked body
 * has no Content-Length to check), so this transport reads the body itself, with the same limit
 * as every other request, and hands the library's server-agnostic handler the text.
 */
export function createSseTransport(options: SseTransportOptions) {
  const path = options.path ?? '/graphql';
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const open = new Set<ServerResponse>();

  const handle = createHandler<IncomingMessage, SseRequestContext>({
    onSubscribe: async (req, params) => {
      const authorization = authorizationFrom(req.raw.headers);
      const clientIp = options.clientIp?.(req.raw);
      let client: ClientIdentity;
      try {
        client = await options.guard.identify(authorization, clientIp);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        return { data: null, errors: sessionEnded().errors };
      }
      const overBudget = await options.guard.spend(client);
      if (overBudget) return { data: null, errors: [overBudget] };
      const prepared = options.prepare(params, authorization);
      // graphql-sse takes an object with `data` as a finished result; without it, as execution arguments.
      if (Array.isArray(prepared)) return { data: null, errors: prepared };
      const left = new AbortController();
      req.context.res.once('close', () => left.abort());
      const context: SseContext = {
        ...(withClient(prepared, clientIp, client).contextValue as SubscriptionContext),
        signal: left.signal,
        expiresAt: tokenExpiry(authorization),
        client,
      };
      return { ...prepared, contextValue: context } satisfies ExecutionArgs;
    },
    subscribe: (args: ExecutionArgs) => {
      const { expiresAt, client } = args.contextValue as SseContext;
      const ends = [atRevocation(options, client), ...(expiresAt === null ? [] : [atExpiry(expiresAt)])];
      return until(options.guard.subscribe(args, options.subscribe), ends);
    },
    execute: options.execute,
    // Incremental delivery is never planned here, so every result is a whole ExecutionResult.
    onNext: (_ctx, _req, result) => options.formatResult(result as ExecutionResult),
  });

  /** Writes one event; false when the client has gone meanwhile (a normal way for a stream to end). */
  const write = (res: ServerResponse, chunk: string) => new Promise<boolean>((resolve) => res.write(chunk, (error) => resolve(!error)));

  return {
    /** True for a request this transport serves: one that asks for an event stream on its path. */
    handles: (req: IncomingMessage): boolean => {
      return (
        req.method !== 'OPTIONS' &&
        new URL(req.url ?? '/', 'http://localhost').pathname === path &&
        (req.headers.accept ?? '').includes('text/event-stream')
      );
    },

    serve: async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
      applyCors(req, res, options.corsOrigins);
      try {
        const body = req.method === 'POST' ? await readBody(req, maxBodyBytes) : null;
        const request: SseRequest<IncomingMessage, SseRequestContext> = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: {
            get: (key: string) => {
              const value = req.headers[key.toLowerCase()];
              return Array.isArray(value) ? value.join('\n') : value;
            },
          },
          body,
          raw: req,
          context: { res },
        };
        const [stream, init] = await handle(request);
        res.writeHead(init.status, init.statusText, init.headers as Record<string, string>);
        if (!stream || typeof stream === 'string') {
          res.end(stream);
          return;
        }
        open.add(res);
        const stop = () => void stream.return(undefined);
        res.once('close', stop);
        try {
          for await (const chunk of stream) {
            if (!res.writable || !(await write(res, chunk))) break;
          }
        } finally {
          res.off('close', stop);
          open.delete(res);
          res.end();
        }
      } catch (error) {
        if (error instanceof HttpError) {
          sendHttpError(res, error);
          return;
        }
        if (clientWentAway(req)) return;
        options.logger.error('event stream failed', { error });
        if (!res.headersSent) res.writeHead(500).end();
        else res.end();
      }
    },

    /** Open event streams. */
    streams: () => open.size,
  };
}

export type SseTransport = ReturnType<typeof createSseTransport>;
