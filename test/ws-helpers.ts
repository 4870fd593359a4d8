import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { inject } from 'vitest';
import { Redis } from 'ioredis';

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

/** A domain-event channel's full Redis name under this run's prefix. */
export function redisChannel(name: string): string {
  return `${process.env.REDIS_PREFIX ?? 'supergraph'}:${name}`;
}

/** How many Redis connections subscribe to a channel; fails fast (no retries) when Redis is down. */
export async function redisSubscribers(channel: string, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<number> {
  const client = new Redis(redisUrl, { lazyConnect: true, retryStrategy: () => null });
  try {
    await client.connect();
    return ((await client.call('PUBSUB', 'NUMSUB', channel)) as [string, number])[1];
  } finally {
    client.disconnect();
  }
}

/** The subscription counters a gateway reports on /health. */
export async function subscriptionStats(gatewayHttpUrl: string): Promise<any> {
  return ((await (await fetch(new URL('/health', gatewayHttpUrl))).json()) as any).subscriptions;
}

/**
 * Waits until the gateway counts `expectedSubscriptions` and every named channel
 * (e.g. redisChannel('order.placed')) has a Redis subscriber, so events caused next are seen.
 */
export async function settle(gatewayHttpUrl: string, expectedSubscriptions: number, channels: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await subscriptionStats(gatewayHttpUrl);
    if (stats.subscriptions >= expectedSubscriptions) {
      const counts = await Promise.all(channels.map((channel) => redisSubscribers(channel)));
      if (counts.every((n) => n > 0)) return;
    }
    if (Date.now() > deadline) throw new Error(`subscriptions did not settle: ${JSON.stringify(stats)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until no subscription is open on the gateway (every client before has gone); fails if one stays. */
export async function quiescent(gatewayHttpUrl = inject('gatewayUrl'), timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let current = await subscriptionStats(gatewayHttpUrl);
  while (current.subscriptions > 0 || current.upstreamStreams > 0 || current.upstreamSockets > 0) {
    if (Date.now() > deadline) throw new Error(`subscriptions still open on the gateway: ${JSON.stringify(current)}`);
    await new Promise((r) => setTimeout(r, 100));
    current = await subscriptionStats(gatewayHttpUrl);
  }
}
