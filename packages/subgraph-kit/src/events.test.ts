import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import {
  channels,
  createEventBus,
  createInMemoryEventBus,
  createMemoryOutbox,
  createMemoryTransport,
  createRedisEventBus,
  createRedisTransport,
  type EventBus,
  type EventTransport,
} from './index.js';
import { createLogger, type Logger } from '@supergraph/runtime';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const uniquePrefix = (label: string) => `unit-${label}-${randomBytes(4).toString('hex')}`;

interface Message {
  probe?: boolean;
  n?: number;
  tag?: string;
  _id?: string;
  version?: number;
}

/**
 * Subscribes and waits until the subscription is live: publishes probe messages
 * until one arrives (subscribing over Redis takes a round trip). Probes are skipped by `nextReal`.
 */
async function liveSubscription(bus: EventBus, channel: string): Promise<AsyncIterableIterator<Message>> {
  const iterator = bus.subscribe<Message>(channel);
  let arrived = false;
  const first = iterator.next().then((result) => {
    arrived = true;
    return result;
  });
  for (let i = 0; i < 200 && !arrived; i++) {
    await bus.publish(channel, { probe: true });
    await sleep(10);
  }
  const result = await first;
  expect(result.done).toBe(false);
  return iterator;
}

/** Reads past the probe messages and returns the next() call that is left waiting for a real event. */
// Wrapped in an object: an async function returning the bare promise would wait for it.
async function pendingAfterProbes(iterator: AsyncIterableIterator<Message>): Promise<{ pending: Promise<IteratorResult<Message>> }> {
  let pending = iterator.next();
  for (;;) {
    const result = await Promise.race([pending, sleep(100).then(() => null)]);
    if (result === null) return { pending };
    pending = iterator.next();
  }
}

/** The next message that is not a probe; fails after a timeout instead of hanging. */
async function nextReal(iterator: AsyncIterableIterator<Message>, timeoutMs = 3_000): Promise<Message> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error('no message arrived in time');
    const result = await Promise.race([
      iterator.next(),
      sleep(remaining).then(() => {
        throw new Error('no message arrived in time');
      }),
    ]);
    if (result.done) throw new Error('the subscription ended');
    if (!result.value.probe) return result.value;
  }
}

interface BusFactory {
  name: string;
  create(prefix: string, logger: Logger): EventBus;
  /** What carries the bus's events, so a test can deliver the same message twice. */
  transport(logger: Logger): EventTransport;
}

/** The text the relay sends for an event (see events.ts): what a redelivery repeats. */
const wire = (id: string, entity: string, version: number | null, payload: object) => JSON.stringify({ id, entity, version, payload });

/** What every EventBus must do, whatever carries the events. */
function eventBusContract(factory: BusFactory) {
  describe(`EventBus contract: ${factory.name}`, () => {
    const open: EventBus[] = [];
    const make = (prefix: string, logger: Logger = createLogger('test', 'silent')) => {
      const bus = factory.create(prefix, logger);
      open.push(bus);
      return bus;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((bus) => bus.dispose()));
    });

    it('delivers what is published on a channel to its subscriber, in order', async () => {
      const bus = make(uniquePrefix('order'));
      const channel = channels.productUpdated('p1');
      const subscription = await liveSubscription(bus, channel);
      for (let n = 1; n <= 3; n++) await bus.publish(channel, { n, tag: 'hello' });
      expect(await nextReal(subscription)).toEqual({ n: 1, tag: 'hello' });
      expect(await nextReal(subscription)).toEqual({ n: 2, tag: 'hello' });
      expect(await nextReal(subscription)).toEqual({ n: 3, tag: 'hello' });
    });

    it('does not deliver events published on other channels', async () => {
      const bus = make(uniquePrefix('channels'));
      const mine = await liveSubscription(bus, channels.orderStatusChanged('o1'));
      const theirs = await liveSubscription(bus, channels.orderStatusChanged('o2'));
      // Published first: if o2's event leaked to o1's subscriber it would arrive before o1's own.
      await bus.publish(channels.orderStatusChanged('o2'), { tag: 'for o2' });
      await bus.publish(channels.orderStatusChanged('o1'), { tag: 'for o1' });
      await bus.publish(channels.orderStatusChanged('o2'), { tag: 'for o2 again' });
      await bus.publish(channels.orderStatusChanged('o1'), { tag: 'for o1 again' });
      expect(await nextReal(mine)).toEqual({ tag: 'for o1' });
      expect(await nextReal(mine)).toEqual({ tag: 'for o1 again' });
      expect(await nextReal(theirs)).toEqual({ tag: 'for o2' });
      expect(await nextReal(theirs)).toEqual({ tag: 'for o2 again' });
    });

    it('delivers every event to every subscriber of the channel', async () => {
      const bus = make(uniquePrefix('fanout'));
      const a = await liveSubscription(bus, channels.orderPlaced());
      const b = await liveSubscription(bus, channels.orderPlaced());
      await bus.publish(channels.orderPlaced(), { n: 7 });
      expect(await nextReal(a)).toEqual({ n: 7 });
      expect(await nextReal(b)).toEqual({ n: 7 });
    });

    it('keeps buses with different prefixes apart', async () => {
      const busA = make(uniquePrefix('a'));
      const busB = make(uniquePrefix('b'));
      const channel = channels.orderPlaced();
      const onA = await liveSubscription(busA, channel);
      const onB = await liveSubscription(busB, channel);
      await busA.publish(channel, { tag: 'from A' });
      await busB.publish(channel, { tag: 'from B' });
      await busA.publish(channel, { tag: 'from A again' });
      await busB.publish(channel, { tag: 'from B again' });
      expect(await nextReal(onB)).toEqual({ tag: 'from B' });
      expect(await nextReal(onB)).toEqual({ tag: 'from B again' });
      expect(await nextReal(onA)).toEqual({ tag: 'from A' });
      expect(await nextReal(onA)).toEqual({ tag: 'from A again' });
    });

    it('lets one subscriber leave without disturbing the others on the channel', async () => {
      const bus = make(uniquePrefix('return'));
      const channel = channels.productUpdated('p9');
      const leaving = await liveSubscription(bus, channel);
      const staying = await liveSubscription(bus, channel);
      expect(await leaving.return!()).toEqual({ done: true, value: undefined });
      await bus.publish(channel, { n: 1 });
      await bus.publish(channel, { n: 2 });
      expect(await nextReal(staying)).toEqual({ n: 1 });
      expect(await nextReal(staying)).toEqual({ n: 2 });
    });

    it('ends a waiting subscriber when it returns', async () => {
      const bus = make(uniquePrefix('return-waiting'));
      const subscription = await liveSubscription(bus, channels.orderPlaced());
      // Leave while a next() is pending (what a closing GraphQL subscription does).
      const { pending } = await pendingAfterProbes(subscription);
      await subscription.return!();
      expect(await pending).toEqual({ done: true, value: undefined });
    });

    it('ends every open subscription on dispose', async () => {
      const bus = factory.create(uniquePrefix('dispose-ends'), createLogger('test', 'silent'));
      const subscription = await liveSubscription(bus, channels.orderPlaced());
      const { pending } = await pendingAfterProbes(subscription);
      await bus.dispose();
      const settled = await Promise.race([pending, sleep(2_000).then(() => 'still waiting')]);
      expect(settled).toEqual({ done: true, value: undefined });
    });

    /** A bus over a transport the test holds too. */
    const makeWithTransport = (prefix: string) => {
      const logger = createLogger('test', 'silent');
      const transport = factory.transport(logger);
      const bus = createEventBus({ prefix, logger, transport, outbox: createMemoryOutbox() });
      open.push(bus);
      return { bus, send: (channel: string, text: string) => transport.send(`${prefix}:${channel}`, text) };
    };

    it("delivers an entity's versions in the order they were written", async () => {
      const bus = make(uniquePrefix('versions'));
      const channel = channels.productUpdated('p1');
      const subscription = await liveSubscription(bus, channel);
      for (let version = 1; version <= 3; version++) await bus.publish(channel, { _id: 'p1', version, n: version * 10 });
      expect(await nextReal(subscription)).toEqual({ _id: 'p1', version: 1, n: 10 });
      expect(await nextReal(subscription)).toEqual({ _id: 'p1', version: 2, n: 20 });
      expect(await nextReal(subscription)).toEqual({ _id: 'p1', version: 3, n: 30 });
    });

    it('drops a second delivery of the same event', async () => {
      const prefix = uniquePrefix('dedupe-id');
      const { bus, send } = makeWithTransport(prefix);
      const channel = channels.orderPlaced();
      const subscription = await liveSubscription(bus, channel);
      await send(channel, wire('event-1', 'o1', 1, { tag: 'first' }));
      await send(channel, wire('event-1', 'o1', 1, { tag: 'first' }));
      // Unversioned events are told apart by id alone: a repeat of one is dropped too.
      await send(channel, wire('event-2', channel, null, { tag: 'plain' }));
      await send(channel, wire('event-2', channel, null, { tag: 'plain' }));
      await send(channel, wire('event-3', 'o2', 1, { tag: 'next' }));
      expect(await nextReal(subscription)).toEqual({ tag: 'first' });
      expect(await nextReal(subscription)).toEqual({ tag: 'plain' });
      // Had a repeat come through, it would be here instead.
      expect(await nextReal(subscription)).toEqual({ tag: 'next' });
    });

    it('drops an event older than one already delivered for its entity, but not events of other entities', async () => {
      const prefix = uniquePrefix('dedupe-version');
      const { bus, send } = makeWithTransport(prefix);
      const channel = channels.orderPlaced();
      const subscription = await liveSubscription(bus, channel);
      await send(channel, wire('a', 'o1', 2, { n: 2 }));
      await send(channel, wire('b', 'o1', 1, { n: 1 })); // stale: version 2 was delivered
      await send(channel, wire('c', 'o1', 2, { n: 22 })); // the same version under another id
      await send(channel, wire('d', 'o2', 1, { n: 100 })); // another entity starts at its own version
      await send(channel, wire('e', 'o1', 3, { n: 3 }));
      expect(await nextReal(subscription)).toEqual({ n: 2 });
      expect(await nextReal(subscription)).toEqual({ n: 100 });
      expect(await nextReal(subscription)).toEqual({ n: 3 });
    });

    it('dedupes per subscriber: a subscriber that joins later still gets the next version', async () => {
      const prefix = uniquePrefix('dedupe-per-iterator');
      const { bus, send } = makeWithTransport(prefix);
      const channel = channels.productUpdated('p2');
      const early = await liveSubscription(bus, channel);
      await send(channel, wire('x', 'p2', 5, { n: 5 }));
      expect(await nextReal(early)).toEqual({ n: 5 });
      const late = await liveSubscription(bus, channel);
      await send(channel, wire('y', 'p2', 6, { n: 6 }));
      expect(await nextReal(early)).toEqual({ n: 6 });
      expect(await nextReal(late)).toEqual({ n: 6 });
    });

    it('ignores a message that is not an event', async () => {
      const prefix = uniquePrefix('malformed');
      const { bus, send } = makeWithTransport(prefix);
      const channel = channels.orderPlaced();
      const subscription = await liveSubscription(bus, channel);
      await send(channel, 'not json');
      await send(channel, JSON.stringify({ payload: { tag: 'no id' } }));
      await send(channel, wire('ok', 'o1', 1, { tag: 'good' }));
      expect(await nextReal(subscription)).toEqual({ tag: 'good' });
    });

    it('never throws from publish, even after dispose', async () => {
      const bus = factory.create(uniquePrefix('after-dispose'), createLogger('test', 'silent'));
      await bus.dispose();
      await expect(bus.publish(channels.orderPlaced(), { n: 1 })).resolves.toBeUndefined();
    });
  });
}

eventBusContract({
  name: 'in memory',
  create: (prefix, logger) => createInMemoryEventBus(prefix, logger),
  transport: () => createMemoryTransport(),
});
eventBusContract({
  name: 'Redis',
  create: (prefix, logger) => createRedisEventBus(REDIS_URL, prefix, logger),
  transport: (logger) => createRedisTransport(REDIS_URL, logger),
});

describe('createInMemoryEventBus', () => {
  it('refuses an empty prefix', () => {
    expect(() => createInMemoryEventBus('', createLogger('test', 'silent'))).toThrow(/prefix/);
  });
});

/**
 * Local ports of this process's TCP connections to the given remote port, from
 * /proc (Linux): each open socket's inode, matched against the kernel's TCP tables.
 */
function ownConnectionsTo(remotePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // the descriptor closed while we looked
    }
  }
  const ports = new Set<number>();
  for (const table of ['/proc/self/net/tcp', '/proc/self/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.trim().split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const localPort = parseInt(cols[1].split(':').pop()!, 16);
      const remote = parseInt(cols[2].split(':').pop()!, 16);
      const established = cols[3] === '01';
      if (established && remote === remotePort && inodes.has(cols[9])) ports.add(localPort);
    }
  }
  return ports;
}

describe('createRedisEventBus resources', () => {
  const redisPort = Number(new URL(REDIS_URL).port || 6379);
  let inspector: Redis;
  let inspectorPort: number;

  beforeAll(async () => {
    const before = ownConnectionsTo(redisPort);
    inspector = new Redis(REDIS_URL, { connectionName: 'unit-inspector' });
    await inspector.ping();
    const after = ownConnectionsTo(redisPort);
    const added = [...after].filter((p) => !before.has(p));
    expect(added).toHaveLength(1);
    inspectorPort = added[0];
  });

  afterAll(async () => {
    await inspector?.quit();
  });

  /** Connections the Redis server holds from this process, besides the inspector's. */
  async function serverSideConnections(): Promise<{ count: number; names: string[] }> {
    const ours = ownConnectionsTo(redisPort);
    ours.delete(inspectorPort);
    const list = (await inspector.call('CLIENT', 'LIST')) as string;
    const clients = list
      .trim()
      .split('\n')
      .map((line) => Object.fromEntries(line.split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])))
      .filter((client) => ours.has(Number(String(client.addr).split(':').pop())));
    return { count: clients.length, names: clients.map((c) => c.name).sort() };
  }

  it('refuses an empty prefix before opening any connection', async () => {
    const before = await serverSideConnections();
    expect(() => createRedisEventBus(REDIS_URL, '', createLogger('test', 'silent'))).toThrow(/prefix/);
    // The constructor threw synchronously, before any client could be created: nothing to wait for.
    expect((await serverSideConnections()).count).toBe(before.count);
  });

  async function numsub(channel: string): Promise<number> {
    const reply = (await inspector.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
    return Number(reply[1]);
  }

  it('subscribes on Redis under `<prefix>:<channel>`', async () => {
    const prefix = uniquePrefix('names');
    const bus = createRedisEventBus(REDIS_URL, prefix, createLogger('test', 'silent'));
    try {
      await liveSubscription(bus, channels.productUpdated('p1'));
      expect(await numsub(`${prefix}:product.updated.p1`)).toBe(1);
      expect(await numsub('product.updated.p1')).toBe(0);
    } finally {
      await bus.dispose();
    }
  });

  it('unsubscribes from Redis when the last subscriber of a channel returns', async () => {
    const prefix = uniquePrefix('unsub');
    const bus = createRedisEventBus(REDIS_URL, prefix, createLogger('test', 'silent'));
    try {
      const a = await liveSubscription(bus, channels.orderPlaced());
      const b = await liveSubscription(bus, channels.orderPlaced());
      expect(await numsub(`${prefix}:order.placed`)).toBe(1);
      await a.return!();
      expect(await numsub(`${prefix}:order.placed`)).toBe(1);
      await b.return!();
      await expect.poll(() => numsub(`${prefix}:order.placed`), { timeout: 2_000, interval: 20 }).toBe(0);
    } finally {
      await bus.dispose();
    }
  });

  it('dispose() closes its publisher and subscriber connections and drops its subscriptions', async () => {
    const baseline = await serverSideConnections();
    const portsBefore = ownConnectionsTo(redisPort);
    const prefix = uniquePrefix('dispose');
    const bus = createRedisEventBus(REDIS_URL, prefix, createLogger('test', 'silent'));
    await liveSubscription(bus, channels.orderPlaced());
    await liveSubscription(bus, channels.orderStatusChanged('o1'));

    const busPorts = [...ownConnectionsTo(redisPort)].filter((port) => !portsBefore.has(port));
    expect(busPorts).toHaveLength(2);
    const open = await serverSideConnections();
    expect(open.count).toBe(baseline.count + 2);
    expect(open.names).toEqual([...baseline.names, 'events-publisher', 'events-subscriber'].sort());
    expect(await numsub(`${prefix}:order.placed`)).toBe(1);
    expect(await numsub(`${prefix}:order.status.o1`)).toBe(1);

    await bus.dispose();

    await expect.poll(serverSideConnections, { timeout: 2_000, interval: 20 }).toEqual(baseline);
    const stillOpen = ownConnectionsTo(redisPort);
    expect(busPorts.filter((port) => stillOpen.has(port))).toEqual([]);
    expect(await numsub(`${prefix}:order.placed`)).toBe(0);
    expect(await numsub(`${prefix}:order.status.o1`)).toBe(0);
  });

  it('a publish that fails after dispose is logged, not thrown', async () => {
    const lines: string[] = [];
    const bus = createRedisEventBus(
      REDIS_URL,
      uniquePrefix('logged'),
      createLogger('test', 'error', (line) => lines.push(line)),
    );
    await bus.publish(channels.orderPlaced(), { n: 0 });
    expect(lines).toEqual([]);
    await bus.dispose();
    await expect(bus.publish(channels.orderPlaced(), { n: 1 })).resolves.toBeUndefined();
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'error', msg: 'event publish failed', channel: 'order.placed' }),
    ]);
  });
});
