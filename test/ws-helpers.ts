import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { inject, vi } from 'vitest';
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
export function wsClient(token?: string, url = wsUrl(), params: Record<string, string> = {}): Client {
  return createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: { ...params, ...(token ? { authorization: `Bearer ${token}` } : {}) },
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
    waitFor: (count, timeoutMs = 10_000) =>
      until(() => state.events.length >= count, timeoutMs, `${count} events`).then(() => state.events),
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
 * vi.waitFor rather than expect.poll here and in quiescent: expect.poll works only inside a test, and these may run in hooks.
 */
export async function settle(gatewayHttpUrl: string, expectedSubscriptions: number, channels: string[], timeoutMs = 10_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const stats = await subscriptionStats(gatewayHttpUrl);
      if (stats.subscriptions < expectedSubscriptions) throw new Error(`subscriptions did not settle: ${JSON.stringify(stats)}`);
      const counts = await Promise.all(channels.map((channel) => redisSubscribers(channel)));
      const missing = channels.filter((_, i) => counts[i] === 0);
      if (missing.length) throw new Error(`no Redis subscriber yet on ${missing.join(', ')}`);
    },
    { timeout: timeoutMs, interval: 50 },
  );
}

/** Waits until no subscription is open on the gateway (every client before has gone); fails if one stays. */
export async function quiescent(gatewayHttpUrl = inject('gatewayUrl'), timeoutMs = 10_000): Promise<void> {
  await vi.waitFor(
    async () => {
      const current = await subscriptionStats(gatewayHttpUrl);
      if (current.subscriptions > 0 || current.upstreamStreams > 0 || current.upstreamSockets > 0) {
        throw new Error(`subscriptions still open on the gateway: ${JSON.stringify(current)}`);
      }
    },
    { timeout: timeoutMs, interval: 100 },
  );
}
