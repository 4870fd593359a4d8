import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, type Logger } from '@supergraph/runtime';

/**
 * What carries published events to subscribers, as text. The event bus (events.ts) puts an outbox
 * in front of it, so nothing a request waits for ever waits on the transport.
 */
export interface EventTransport {
  /** Subscriptions by channel name, with one upstream subscription per channel however many listen. */
  engine: PubSubEngine;
  /** Sends one message; rejects at once when it cannot (the relay keeps the event and retries). */
  send(name: string, message: string): Promise<void>;
  /** After an outage: subscribers may have missed what was sent since `downSince` and should catch up. */
  onResumed(listener: (downSince: Date) => void): void;
  /** Sending may work again. */
  onSendable(listener: () => void): void;
  /** Whether both directions are connected now (for /health). */
  connected(): boolean;
  close(): Promise<void>;
}

/** In this process only: for unit tests. Never down, so never resumes. */
export function createMemoryTransport(): EventTransport {
  const engine = new PubSub();
  return {
    engine,
    send: (name, message) => engine.publish(name, message),
    onResumed: () => {},
    onSendable: () => {},
    connected: () => true,
    close: async () => {},
  };
}

/**
 * Redis pub/sub with separate publisher and subscriber connections.
 *
 * The publisher fails fast (no offline queue, command timeout): only the relay uses it, and a failed
 * send is retried from the outbox. The subscriber keeps ioredis's offline queue and resubscribes by
 * itself after a reconnect; what was published while it was away is then read back from the outbox
 * (onResumed), because Redis pub/sub keeps nothing for a subscriber that was not connected.
 */
export function createRedisTransport(redisUrl: string, logger: Logger): EventTransport {
  const publisher = createRedisClient(redisUrl, logger, 'events-publisher', { ...FAIL_FAST_REDIS_OPTIONS });
  const subscriber = createRedisClient(redisUrl, logger, 'events-subscriber');
  // Messages stay text here; the bus parses them (and the in-memory transport carries the same text).
  const engine = new RedisPubSub({ publisher, subscriber, deserializer: (source) => source.toString('utf8') });

  const resumed = new Set<(downSince: Date) => void>();
  let downSince: Date | null = null;
  subscriber.on('close', () => {
    downSince ??= new Date();
  });
  subscriber.on('ready', () => {
    if (downSince === null) return;
    const since = downSince;
    downSince = null;
    // ioredis writes the resubscriptions before 'ready' reaches listeners; a PING queued behind
    // them answers once they are in effect, so nothing published after the catch-up read is missed.
    void subscriber
      .ping()
      .catch(() => undefined)
      .then(() => {
        for (const listener of resumed) listener(since);
      });
  });
  return {
    engine,
    send: async (name, message) => {
      await publisher.publish(name, message);
    },
    onResumed: (listener) => resumed.add(listener),
    onSendable: (listener) => publisher.on('ready', listener),
    connected: () => publisher.status === 'ready' && subscriber.status === 'ready',
    // QUIT where connected (the server drops the subscriptions at once); a client that is not
    // connected is just disconnected, since a queued QUIT would wait for Redis to come back.
    close: async () => {
      await Promise.all(
        [publisher, subscriber].map(async (client) => {
          if (client.status !== 'ready') return client.disconnect();
          await client.quit().catch(() => client.disconnect());
        }),
      );
    },
  };
}
