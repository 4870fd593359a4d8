import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { inject } from 'vitest';

export interface Collected<T = any> {
  events: T[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `count` events have arrived (rejects after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  /** Resolves once the subscription ended with an error or completed. */
  ended(timeoutMs?: number): Promise<void>;
  unsubscribe(): void;
}

export function wsUrl(httpUrl = inject('gatewayUrl')): string {
  return httpUrl.replace(/^http/, 'ws');
}

/** A graphql-ws client like a browser or app would open, with the token in connection_init. */
export function wsClient(token?: string, url = wsUrl()): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/** Subscribes and collects everything the server sends. */
export function collect<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}): Collected<T> {
  const state = { events: [] as T[], errors: [] as unknown[], completed: false };
  const watchers = new Set<() => void>();
  const notify = () => watchers.forEach((w) => w());
  const unsubscribe = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if ((value as any).errors) state.errors.push(...(value as any).errors);
        else state.events.push(value.data as T);
        notify();
      },
      error: (error) => {
        state.errors.push(...(Array.isArray(error) ? error : [error]));
        notify();
      },
      complete: () => {
        state.completed = true;
        notify();
      },
    },
  );
  const until = (done: () => boolean, timeoutMs: number, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (done()) return resolve();
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(state)}`));
      }, timeoutMs);
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        watchers.delete(check);
        resolve();
      };
      watchers.add(check);
    });
  return {
    ...state,
    get events() {
      return state.events;
    },
    get errors() {
      return state.errors;
    },
    get completed() {
      return state.completed;
    },
    waitFor: (count, timeoutMs = 10_000) => until(() => state.events.length >= count, timeoutMs, `${count} events`).then(() => state.events),
    ended: (timeoutMs = 10_000) => until(() => state.completed || state.errors.length > 0, timeoutMs, 'the end'),
    unsubscribe,
  };
}

/** Gives subscriptions time to reach Redis before the test causes events. */
export async function settle(gatewayHttpUrl: string, expectedSubscriptions: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = (await (await fetch(new URL('/health', gatewayHttpUrl))).json()) as any;
    if (health.subscriptions.subscriptions >= expectedSubscriptions && health.subscriptions.upstreamStreams > 0) {
      // The upstream subscribe round trip to the subgraph and Redis takes a moment more.
      await new Promise((r) => setTimeout(r, 300));
      return;
    }
    if (Date.now() > deadline) throw new Error(`subscriptions did not settle: ${JSON.stringify(health)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
