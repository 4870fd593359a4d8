import { randomUUID } from 'node:crypto';
import { currentTraceparent, type Logger } from '@supergraph/runtime';
import { context } from '@opentelemetry/api';
import { EventStream, type EventEnvelope } from './event-stream.js';
import { traceDelivery } from './event-tracing.js';
import { createMemoryTransport, createRedisTransport, type EventTransport } from './event-transport.js';
import { createMemoryOutbox, inEntityOrder, type OutboxEntry, type OutboxStore } from './outbox.js';
import { OutboxRelay, type RelayOptions } from './outbox-relay.js';
import { subjectOf, type EventSubject } from './versioning.js';

/** Channel names: one per event and per id, never a global firehose filtered in memory. */
const PRODUCT_UPDATED = 'product.updated.';
const ORDER_STATUS = 'order.status.';

const suffixAfter = (prefix: string, channel: string): string | null =>
  channel.startsWith(prefix) && channel.length > prefix.length ? channel.slice(prefix.length) : null;

export const channels = {
  productUpdated: (productId: string) => `${PRODUCT_UPDATED}${productId}`,
  orderStatusChanged: (orderId: string) => `${ORDER_STATUS}${orderId}`,
  orderPlaced: () => 'order.placed',
  /** The product id of a productUpdated channel; null for any other channel. */
  productOf: (channel: string) => suffixAfter(PRODUCT_UPDATED, channel),
  /** The order id of an orderStatusChanged channel; null for any other channel. */
  orderOfStatusChange: (channel: string) => suffixAfter(ORDER_STATUS, channel),
} as const;

/** The one event bus every service publishes domain events to. */
export interface EventBus {
  /**
   * Records an event after a write has succeeded; it is delivered to subscribers once the transport
   * (Redis) takes it, at least once and in order per entity, even if Redis is away now. Waits only
   * for the outbox insert, never for Redis. Never throws: an event that cannot be recorded is logged.
   * The subject (entity id and version) is read from the payload's `_id` and `version` unless given.
   */
  publish(channel: string, payload: object, subject?: EventSubject): Promise<void>;
  /** Each event once, in order per entity; a duplicate or an older version than one delivered is dropped. */
  subscribe<T>(channel: string): AsyncIterableIterator<T>;
  /** Whether events reach subscribers now (false while Redis is away: they are kept and sent later). */
  healthy(): boolean;
  /** Running totals since start, for metrics. */
  stats(): EventBusStats;
  /** Stops the relay and releases every connection and listener the bus holds. */
  dispose(): Promise<void>;
}

export interface EventBusStats {
  /** Events this process recorded in its outbox. */
  recorded: number;
  /** Events this process's relay handed to the transport (Redis). */
  relayed: number;
  /** Events that reached this process's subscriptions (before duplicates and stale versions are dropped). */
  delivered: number;
  /** Recorded events not yet relayed: the outbox backlog. */
  pending: number;
}

/**
 * Work that must happen for an event as surely as its delivery (e.g. enqueueing a job with an id
 * derived from the event's subject): the relay runs every hook for an entry before it publishes
 * it and marks it sent, so a hook that fails is retried with the publish, with backoff, and the
 * entries after it wait (their order holds). A hook runs at least once per entry, so it must be
 * idempotent. It sees every entry and picks the ones it is about.
 */
export type RelayHook = (entry: OutboxEntry) => Promise<void>;

export interface OutboxOptions extends RelayOptions {
  /** Most events one subscriber reads back when catching up after an outage. */
  catchUpLimit?: number;
}

/** The defaults for a bus without configuration (unit tests); services read theirs from the environment. */
export const DEFAULT_OUTBOX_OPTIONS: OutboxOptions = { pollMs: 1_000, retentionMs: 2 * 60_000 };

/**
 * How far before an outage began a subscriber's catch-up reads: an event sent just before the
 * connection was seen to drop may have been lost with it, and clocks of processes differ a little.
 */
const CATCH_UP_MARGIN_MS = 30_000;

function requirePrefix(prefix: string): void {
  if (!prefix) throw new Error('an event bus needs a channel prefix, so deployments sharing a Redis stay apart');
}

/** The message on the wire: the stored payload JSON is put in as it is, not parsed and serialised again. */
function envelopeText(entry: OutboxEntry): string {
  const trace = entry.traceparent ? `,"traceparent":${JSON.stringify(entry.traceparent)}` : '';
  return `{"id":${JSON.stringify(entry.eventId)},"entity":${JSON.stringify(entry.entity)},"version":${JSON.stringify(entry.version)}${trace},"payload":${entry.payload}}`;
}

function envelopeOf(entry: OutboxEntry): EventEnvelope {
  return {
    id: entry.eventId,
    entity: entry.entity,
    version: entry.version,
    payload: JSON.parse(entry.payload) as unknown,
    traceparent: entry.traceparent,
  };
}

function parseEnvelope(message: unknown): EventEnvelope | null {
  if (typeof message !== 'string') return null;
  try {
    const value = JSON.parse(message) as Partial<EventEnvelope>;
    if (typeof value.id !== 'string' || typeof value.entity !== 'string') return null;
    if (value.version !== null && typeof value.version !== 'number') return null;
    const traceparent = typeof value.traceparent === 'string' ? value.traceparent : undefined;
    return { id: value.id, entity: value.entity, version: value.version, payload: value.payload, traceparent };
  } catch {
    return null;
  }
}

class OutboxEventBus implements EventBus {
  private readonly open = new Set<{ channel: string; stream: EventStream<unknown> }>();
  private readonly relay: OutboxRelay;
  /** This process, as the origin of the entries it records. */
  private readonly origin = randomUUID();
  private readonly catchUpLimit: number;
  private closed = false;
  private readonly counts = { recorded: 0, relayed: 0, delivered: 0 };

  constructor(
    private readonly prefix: string,
    private readonly logger: Logger,
    private readonly transport: EventTransport,
    private readonly outbox: OutboxStore,
    options: OutboxOptions,
    hooks: RelayHook[],
  ) {
    requirePrefix(prefix);
    this.catchUpLimit = options.catchUpLimit ?? 1_000;
    this.relay = new OutboxRelay(
      outbox,
      async (entry) => {
        for (const hook of hooks) await hook(entry);
        await transport.send(this.name(entry.channel), envelopeText(entry));
        this.counts.relayed++;
      },
      this.origin,
      logger,
      options,
    );
    transport.onSendable(() => this.relay.retryNow());
    transport.onResumed((downSince) => this.catchUpAll(downSince));
    this.relay.start();
  }

  private name(channel: string): string {
    return `${this.prefix}:${channel}`;
  }

  async publish(channel: string, payload: object, subject?: EventSubject): Promise<void> {
    try {
      if (this.closed) throw new Error('the event bus is closed');
      const { entity, version } = subject ?? subjectOf(channel, payload);
      const traceparent = currentTraceparent();
      const entry = {
        eventId: randomUUID(),
        channel,
        entity,
        version,
        payload: JSON.stringify(payload),
        origin: this.origin,
        createdAt: new Date(),
        // Subscribers' delivery spans link to the write's trace.
        ...(traceparent ? { traceparent } : {}),
      };
      await this.outbox.append(entry);
      this.counts.recorded++;
      this.relay.record({ ...entry, sentAt: null });
    } catch (error) {
      // The write it reports has happened; failing the request now would tell the client otherwise.
      this.logger.error('event publish failed', { channel, error });
    }
  }

  subscribe<T>(channel: string): AsyncIterableIterator<T> {
    let subscription: Promise<number> | null = null;
    // The subscription's own trace (see inSubscriptionTrace), which each delivery's span joins.
    const subscriptionContext = context.active();
    const entry = {
      channel,
      stream: new EventStream<unknown>(
        async () => {
          this.open.delete(entry);
          // Not awaited: while Redis is away the subscription is still queued, and a client leaving
          // (or a shutdown) must not wait for Redis to come back.
          void subscription?.then(
            (id) => {
              this.transport.engine.unsubscribe(id);
            },
            () => undefined,
          );
        },
        (event) => traceDelivery(channel, event, subscriptionContext),
      ),
    };
    this.open.add(entry);
    subscription = this.transport.engine.subscribe(
      this.name(channel),
      (message: unknown) => {
        const envelope = parseEnvelope(message);
        if (envelope) {
          this.counts.delivered++;
          entry.stream.receive(envelope);
        } else this.logger.warn('ignored a malformed event', { channel });
      },
      {},
    );
    subscription.catch((error: unknown) => this.logger.error('event subscribe failed', { channel, error }));
    return entry.stream as EventStream<T>;
  }

  /** After a transport outage every open subscription reads back from the outbox what it may have missed. */
  private catchUpAll(downSince: Date): void {
    const from = downSince.getTime() - CATCH_UP_MARGIN_MS;
    // One read per channel, however many subscribers it has (each keeps only what came after it opened).
    const byChannel = new Map<string, EventStream<unknown>[]>();
    for (const { channel, stream } of this.open) byChannel.set(channel, [...(byChannel.get(channel) ?? []), stream]);
    for (const [channel, streams] of byChannel) {
      const since = new Date(Math.max(from, Math.min(...streams.map((stream) => stream.openedAt.getTime()))));
      const read = readAllSince(this.outbox, channel, since, this.catchUpLimit).then((entries) => inEntityOrder(entries));
      read.catch(() => undefined); // handled by each stream's catch-up below
      for (const stream of streams) {
        void stream.catchUp(
          async () => (await read).filter((entry) => entry.createdAt >= stream.openedAt).map(envelopeOf),
          (error) =>
            this.logger.error('event catch-up failed; events missed during the outage are lost to this subscriber', { channel, error }),
        );
      }
    }
  }

  healthy(): boolean {
    return this.transport.connected() && !this.relay.failing;
  }

  stats(): EventBusStats {
    return { ...this.counts, pending: this.relay.pending };
  }

  async dispose(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.open].map(({ stream }) => stream.return()));
    // Closing the transport fails a send under way, which lets the relay's pass end.
    const relayStopped = this.relay.stop();
    await this.transport.close();
    await relayStopped;
  }
}

/** Builds a bus from its parts; the factories below are what services and tests use. */
export function createEventBus(options: {
  prefix: string;
  logger: Logger;
  transport: EventTransport;
  outbox: OutboxStore;
  outboxOptions?: OutboxOptions;
  hooks?: RelayHook[];
}): EventBus {
  return new OutboxEventBus(
    options.prefix,
    options.logger,
    options.transport,
    options.outbox,
    options.outboxOptions ?? DEFAULT_OUTBOX_OPTIONS,
    options.hooks ?? [],
  );
}

/** Everything in this process (unit tests): the same outbox, relay and subscriber rules as in production. */
export function createInMemoryEventBus(prefix: string, logger: Logger, outboxOptions?: OutboxOptions, hooks?: RelayHook[]): EventBus {
  requirePrefix(prefix);
  return createEventBus({ prefix, logger, transport: createMemoryTransport(), outbox: createMemoryOutbox(), outboxOptions, hooks });
}

/**
 * Redis pub/sub behind an outbox. Services pass their database's outbox (createMongoOutbox), so
 * events outlive Redis outages and process crashes; without one the outbox is in memory.
 */
export function createRedisEventBus(
  redisUrl: string,
  prefix: string,
  logger: Logger,
  options: { outbox?: OutboxStore; outboxOptions?: OutboxOptions; hooks?: RelayHook[] } = {},
): EventBus {
  requirePrefix(prefix); // before any connection is opened
  return createEventBus({
    prefix,
    logger,
    transport: createRedisTransport(redisUrl, logger),
    outbox: options.outbox ?? createMemoryOutbox(),
    outboxOptions: options.outboxOptions,
    hooks: options.hooks,
  });
}

/** The most pages one catch-up reads (at the default page size, 50,000 events: far beyond any outage). */
const MAX_CATCH_UP_PAGES = 50;

/**
 * Every outbox entry of a channel since a time, read in pages oldest first, so a busy channel's
 * catch-up is not cut at one page. Each page starts at the last one's newest time (entries at that
 * exact millisecond come twice and are kept once).
 */
async function readAllSince(outbox: OutboxStore, channel: string, since: Date, pageSize: number): Promise<OutboxEntry[]> {
  const entries = new Map<string, OutboxEntry>();
  let from = since;
  for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
    const batch = await outbox.since(channel, from, pageSize);
    for (const entry of batch) entries.set(entry.eventId, entry);
    const newest = batch.at(-1)?.createdAt;
    // A short page is the last; a full one whose entries all share one millisecond cannot advance.
    if (batch.length < pageSize || !newest || newest.getTime() === from.getTime()) break;
    from = newest;
  }
  return [...entries.values()];
}
