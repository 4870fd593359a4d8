import { PubSub, type PubSubEngine } from 'graphql-subscriptions';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { createRedisClient, type Logger } from '@supergraph/runtime';

/** Channel names: one per event and per id, never a global firehose filtered in memory. */
export const channels = {
  productUpdated: (productId: string) => `product.updated.${productId}`,
  orderStatusChanged: (orderId: string) => `order.status.${orderId}`,
  orderPlaced: () => 'order.placed',
} as const;

/** The one event bus every service publishes domain events to. */
export interface EventBus {
  /** Publishes after a write has succeeded. Never throws: a failed publish is logged. */
  publish(channel: string, payload: object): Promise<void>;
  subscribe<T>(channel: string): AsyncIterableIterator<T>;
  /** Releases every connection and listener the bus holds. */
  dispose(): Promise<void>;
}

function requirePrefix(prefix: string): void {
  if (!prefix) throw new Error('an event bus needs a channel prefix, so deployments sharing a Redis stay apart');
}

class PubSubEventBus implements EventBus {
  private readonly open = new Set<AsyncIterableIterator<unknown>>();

  constructor(
    private readonly engine: PubSubEngine,
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly close: () => Promise<void>,
  ) {
    requirePrefix(prefix);
  }

  private name(channel: string): string {
    return `${this.prefix}:${channel}`;
  }

  async publish(channel: string, payload: object): Promise<void> {
    try {
      await this.engine.publish(this.name(channel), payload);
    } catch (error) {
      this.logger.error('event publish failed', { channel, error });
    }
  }

  subscribe<T>(channel: string): AsyncIterableIterator<T> {
    const iterator = this.engine.asyncIterableIterator<T>(this.name(channel));
    const release = iterator.return?.bind(iterator);
    this.open.add(iterator);
    // Whoever ends the iteration (client gone, dispose) also forgets it here.
    iterator.return = async () => {
      this.open.delete(iterator);
      return release ? release() : { done: true, value: undefined };
    };
    return iterator;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.open].map((iterator) => Promise.resolve(iterator.return?.())));
    await this.close();
  }
}

export function createInMemoryEventBus(prefix: string, logger: Logger): EventBus {
  return new PubSubEventBus(new PubSub(), prefix, logger, async () => {});
}

/** Redis pub/sub with separate publisher and subscriber connections. */
export function createRedisEventBus(redisUrl: string, prefix: string, logger: Logger): EventBus {
  requirePrefix(prefix); // before any connection is opened
  const publisher = createRedisClient(redisUrl, logger, 'events-publisher');
  const subscriber = createRedisClient(redisUrl, logger, 'events-subscriber');
  const pubsub = new RedisPubSub({ publisher, subscriber });
  return new PubSubEventBus(pubsub, prefix, logger, async () => {
    await pubsub.close();
  });
}
