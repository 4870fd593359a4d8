import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import type { ExecutionResult } from 'graphql';
import { SERVICE_CREDENTIAL_PARAM } from '@supergraph/auth';
import { currentTraceparent, type Logger } from '@supergraph/runtime';
import { SharedFeeds, type Sink } from './shared-feeds.js';

export interface UpstreamRequest {
  serviceName: string;
  /** The subgraph's HTTP GraphQL URL; its WebSocket endpoint is the same path. */
  url: string;
  operation: string;
  variables: Record<string, unknown>;
  /** Forwarded in connection_init; undefined for public streams. */
  authorization: string | undefined;
}

/**
 * Subscriptions from the gateway to subgraphs over graphql-ws. Identical
 * requests share one upstream stream; each (subgraph, token) pair shares one
 * socket, which reconnects (and resubscribes) after a subgraph restart.
 */
export class UpstreamHub {
  private readonly streams = new SharedFeeds<ExecutionResult>();
  private readonly clients = new Map<string, { client: Client; users: number }>();

  constructor(
    private readonly logger: Logger,
    private readonly keepAliveMs: number,
    /** The gateway's credential for a subgraph: subgraph sockets without one are closed at connection_init. */
    private readonly credential: (serviceName: string) => Promise<string>,
  ) {}

  subscribe(request: UpstreamRequest, sink: Sink<ExecutionResult>): () => void {
    const key = JSON.stringify([request.serviceName, request.operation, request.variables, request.authorization ?? null]);
    return this.streams.join(
      key,
      (emit) => {
        const clientKey = JSON.stringify([request.url, request.authorization ?? null]);
        const client = this.acquire(clientKey, request);
        // The stream is opened in the trace of the first client subscription that needs it; the
        // subgraph's deliveries join that trace (later clients share the stream, not the trace).
        const traceparent = currentTraceparent();
        const unsubscribe = client.subscribe<Record<string, unknown>>(
          { query: request.operation, variables: request.variables, ...(traceparent ? { extensions: { traceparent } } : {}) },
          {
            next: (value) => emit.next(value as ExecutionResult),
            error: (error) => emit.error(error),
            complete: () => emit.complete(),
          },
        );
        return () => {
          unsubscribe();
          this.release(clientKey);
        };
      },
      sink,
    );
  }

  private acquire(key: string, request: UpstreamRequest): Client {
    let entry = this.clients.get(key);
    if (!entry) {
      const url = request.url.replace(/^http/, 'ws');
      let downSince: number | null = null;
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        // Called on every (re)connect, so a socket that reconnects after a subgraph restart sends a fresh credential.
        connectionParams: async () => ({
          [SERVICE_CREDENTIAL_PARAM]: await this.credential(request.serviceName),
          ...(request.authorization ? { authorization: request.authorization } : {}),
        }),
        keepAlive: this.keepAliveMs,
        // A subgraph that restarts is retried for as long as anyone listens.
        retryAttempts: Number.POSITIVE_INFINITY,
        shouldRetry: () => true,
        retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 100 * 2 ** retries))),
        on: {
          closed: (event) => {
            if (downSince === null && this.clients.get(key)?.client === client && (event as { code?: number })?.code !== 1000) {
              downSince = Date.now();
              this.logger.warn('subgraph subscription socket lost; reconnecting', { subgraph: request.serviceName });
            }
          },
          connected: () => {
            if (downSince !== null) {
              this.logger.info('subgraph subscription socket back', { subgraph: request.serviceName, downForMs: Date.now() - downSince });
              downSince = null;
            }
          },
        },
      });
      entry = { client, users: 0 };
      this.clients.set(key, entry);
    }
    entry.users++;
    return entry.client;
  }

  private release(key: string): void {
    const entry = this.clients.get(key);
    if (!entry) return;
    entry.users--;
    if (entry.users === 0) {
      this.clients.delete(key);
      void entry.client.dispose();
    }
  }

  stats() {
    return { upstreamStreams: this.streams.size(), upstreamSockets: this.clients.size };
  }

  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    await Promise.all(clients.map((c) => Promise.resolve(c.client.dispose())));
  }
}
