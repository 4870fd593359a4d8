import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionArgs, GraphQLError } from 'graphql';
import { authorizationFrom, tokenExpiry } from '@supergraph/auth';
import { MAX_BODY_BYTES } from '@supergraph/runtime';
import { withClientIp, type TransportHandlers } from './transport.js';

export interface WebSocketTransportOptions extends TransportHandlers {
  /** Ping interval, so proxies and mobile networks keep idle sockets open. */
  keepAliveMs: number;
  path?: string;
}

/** Close code sent when the token a socket connected with expires (the client reconnects with a fresh one). */
export const TOKEN_EXPIRED_CLOSE_CODE = 4403;

/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol). It owns its routing (upgrades on
 * its path only), its message limit, keep-alive, and the timers that close a socket when the
 * token it connected with expires: authorization is checked when a subscription starts, and
 * nobody keeps receiving events on a token that is no longer valid.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions) {
  const path = options.path ?? '/graphql';
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const expiryTimers = new WeakMap<object, NodeJS.Timeout>();
  const disposable = useServer<Record<string, unknown>>(
    {
      onConnect: (ctx) => {
        const expiresAt = tokenExpiry(authorizationFrom(ctx.connectionParams));
        if (expiresAt === null) return;
        const socket = ctx.extra.socket;
        const timer = setTimeout(
          () => socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Token expired; reconnect with a fresh token'),
          Math.max(0, expiresAt - Date.now()),
        );
        timer.unref();
        expiryTimers.set(ctx, timer);
      },
      onClose: (ctx) => clearTimeout(expiryTimers.get(ctx)),
      onSubscribe: (ctx, _id, payload): ExecutionArgs | readonly GraphQLError[] => {
        const prepared = options.prepare(payload, authorizationFrom(ctx.connectionParams));
        return Array.isArray(prepared) ? prepared : withClientIp(prepared, options.clientIp?.(ctx.extra.request));
      },
      subscribe: options.subscribe,
      execute: options.execute,
      onNext: (_ctx, _id, _payload, _args, result) => options.formatResult(result),
    },
    wss,
    options.keepAliveMs,
  );

  let disposed: Promise<void> | undefined;
  return {
    /** Takes an HTTP upgrade on this transport's path; refuses any other path with a 404. */
    handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    },
    /** Open client sockets. */
    clients: () => wss.clients.size,
    /** Closes every socket with 1001 (going away) and stops accepting; calling it again waits for the first call. */
    dispose: () => (disposed ??= Promise.resolve(disposable.dispose())),
  };
}

export type WebSocketTransport = ReturnType<typeof createWebSocketTransport>;
