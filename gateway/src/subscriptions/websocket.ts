import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { authorizationFrom, tokenExpiry } from '@supergraph/auth';
import { closeGoingAway, ErrorCode, HttpError, MAX_BODY_BYTES } from '@supergraph/runtime';
import type { ClientIdentity } from '../admission.js';
import { TOO_MANY_SOCKETS_CLOSE_CODE } from './client-guard.js';
import { withClient, type TransportHandlers } from './transport.js';

export interface WebSocketTransportOptions extends TransportHandlers {
  /** Ping interval, so proxies and mobile networks keep idle sockets open. */
  keepAliveMs: number;
  path?: string;
}

/**
 * Close code sent when the token a socket connected with expires, its session is revoked or its
 * user's role changes (the client refreshes its session and reconnects).
 */
export const TOKEN_EXPIRED_CLOSE_CODE = 4403;

/** What the transport keeps per socket, released when it closes. */
interface SocketState {
  client: ClientIdentity;
  release: () => void;
}

/**
 * GraphQL over WebSocket (the graphql-transport-ws protocol). It owns its routing (upgrades on
 * its path only), its message limit, keep-alive, its client's socket cap, and closing a socket
 * when the token it connected with expires or is revoked: authorization is checked when a
 * subscription starts, and nobody keeps receiving events on a token that is no longer valid.
 */
export function createWebSocketTransport(options: WebSocketTransportOptions) {
  const path = options.path ?? '/graphql';
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  const sockets = new WeakMap<object, SocketState>();
  const disposable = useServer<Record<string, unknown>>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const authorization = authorizationFrom(ctx.connectionParams);
        let client: ClientIdentity;
        try {
          client = await options.guard.identify(authorization, options.clientIp?.(ctx.extra.request));
        } catch (error) {
          if (!(error instanceof HttpError)) throw error;
          socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Session ended; refresh the session and reconnect');
          return false;
        }
        // Opening a socket costs a request from the budget, like any operation.
        const overBudget = await options.guard.spend(client);
        if (overBudget) {
          socket.close(TOO_MANY_SOCKETS_CLOSE_CODE, 'Too many requests from this client; retry later');
          return false;
        }
        const releaseSocket = options.guard.openSocket(client);
        if (!releaseSocket) {
          socket.close(TOO_MANY_SOCKETS_CLOSE_CODE, 'Too many open connections for this client');
          return false;
        }
        const endSession = () => socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Session ended; refresh the session and reconnect');
        const unwatch = options.guard.watch(client.token, endSession);
        const expiresAt = tokenExpiry(authorization);
        const timer =
          expiresAt === null
            ? undefined
            : setTimeout(
                () => socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Token expired; reconnect with a fresh token'),
                Math.max(0, expiresAt - Date.now()),
              );
        timer?.unref();
        sockets.set(ctx, {
          client,
          release: () => {
            clearTimeout(timer);
            unwatch();
            releaseSocket();
          },
        });
        return true;
      },
      onClose: (ctx) => sockets.get(ctx)?.release(),
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        const state = sockets.get(ctx)!;
        // Checked again per operation: a revocation this instance did not hear (its Redis subscriber
        // reconnecting) still ends the socket at its next operation.
        if (!(await options.guard.stillValid(state.client))) {
          ctx.extra.socket.close(TOKEN_EXPIRED_CLOSE_CODE, 'Session ended; refresh the session and reconnect');
          return [
            new GraphQLError('Your session has ended; refresh the session and reconnect', {
              extensions: { code: ErrorCode.Unauthenticated },
            }),
          ];
        }
        // Every operation over the socket takes from the same budget as one over HTTP.
        const overBudget = await options.guard.spend(state.client);
        if (overBudget) return [overBudget];
        const prepared = options.prepare(payload, authorizationFrom(ctx.connectionParams));
        return Array.isArray(prepared) ? prepared : withClient(prepared, options.clientIp?.(ctx.extra.request), state.client);
      },
      subscribe: (args) => options.guard.subscribe(args, options.subscribe),
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
    dispose: () => (disposed ??= closeGoingAway(wss.clients, () => disposable.dispose())),
  };
}

export type WebSocketTransport = ReturnType<typeof createWebSocketTransport>;
