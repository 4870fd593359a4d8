import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { connectMongo, createMemoryOutbox, createMongoOutbox, inEntityOrder, type NewOutboxEntry, type OutboxStore } from './index.js';
import { testDatabaseUri } from './testing.js';

let connection: Connection;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('outbox'), createLogger('test', 'silent'));
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const T0 = Date.parse('2026-11-01T00:00:00Z');

function entry(channel: string, at: number, origin = 'me', version: number | null = null): NewOutboxEntry {
  return {
    eventId: randomUUID(),
    channel,
    entity: channel,
    version,
    payload: JSON.stringify({ at }),
    origin,
    createdAt: new Date(T0 + at),
  };
}

/** What every outbox store must do, in memory or in the service's database. */
function outboxContract(name: string, create: () => Promise<OutboxStore>) {
  describe(`OutboxStore contract: ${name}`, () => {
    it('lists unsent entries oldest first, by origin, and forgets them once marked sent', async () => {
      const store = await create();
      const channel = `c-${randomUUID()}`;
      const [a, b, c] = [entry(channel, 1), entry(channel, 2, 'other'), entry(channel, 3)];
      for (const e of [a, b, c]) await store.append(e);
      const mine = (await store.unsent({ origin: 'me' }, 10)).filter((e) => e.channel === channel);
      expect(mine.map((e) => e.eventId)).toEqual([a.eventId, c.eventId]);
      expect(mine[0]).toEqual({ ...a, sentAt: null });
      await store.markSent([a.eventId], new Date(T0 + 10));
      expect((await store.unsent({ origin: 'me' }, 10)).filter((e) => e.channel === channel).map((e) => e.eventId)).toEqual([c.eventId]);
    });

    it('lists unsent entries of any origin recorded before a moment, and honours the limit', async () => {
      const store = await create();
      const channel = `c-${randomUUID()}`;
      const entries = [entry(channel, 100, 'x'), entry(channel, 200, 'y'), entry(channel, 300, 'x')];
      for (const e of entries) await store.append(e);
      const before = (await store.unsent({ createdBefore: new Date(T0 + 250) }, 100)).filter((e) => e.channel === channel);
      expect(before.map((e) => e.eventId)).toEqual([entries[0].eventId, entries[1].eventId]);
      expect(await store.unsent({ createdBefore: new Date(T0 + 1_000) }, 1)).toHaveLength(1);
    });

    it('reads back a channel since a moment, sent or not, oldest first', async () => {
      const store = await create();
      const channel = `c-${randomUUID()}`;
      const entries = [entry(channel, 1, 'me', 1), entry(channel, 5, 'me', 2), entry(`${channel}-other`, 6), entry(channel, 9, 'me', 3)];
      for (const e of entries) await store.append(e);
      await store.markSent([entries[1].eventId], new Date(T0 + 7));
      const since = await store.since(channel, new Date(T0 + 5), 10);
      expect(since.map((e) => [e.eventId, e.version])).toEqual([
        [entries[1].eventId, 2],
        [entries[3].eventId, 3],
      ]);
      expect(since[0].sentAt).toEqual(new Date(T0 + 7));
    });

    it('prunes only entries sent before the moment', async () => {
      const store = await create();
      const channel = `c-${randomUUID()}`;
      const [old, recent, unsent] = [entry(channel, 1), entry(channel, 2), entry(channel, 3)];
      for (const e of [old, recent, unsent]) await store.append(e);
      await store.markSent([old.eventId], new Date(T0 + 10));
      await store.markSent([recent.eventId], new Date(T0 + 50));
      expect(await store.prune(new Date(T0 + 20))).toBe(1);
      expect((await store.since(channel, new Date(T0), 10)).map((e) => e.eventId)).toEqual([recent.eventId, unsent.eventId]);
    });
  });
}

outboxContract('in memory', async () => createMemoryOutbox());
// A fresh collection per test, as the in-memory store is fresh.
outboxContract('MongoDB collection', async () => {
  await connection.dropCollection('outbox').catch(() => {});
  return createMongoOutbox(connection);
});

describe('inEntityOrder', () => {
  const e = (entity: string, version: number | null) => ({ ...entry('c', 0), entity, version, sentAt: null });

  it("orders each entity's entries by version, in the places that entity's entries had", () => {
    const entries = [e('a', 6), e('b', 1), e('a', 5), e('z', null), e('b', 2), e('a', 7)];
    expect(inEntityOrder(entries).map((x) => `${x.entity}${x.version}`)).toEqual(['a5', 'b1', 'a6', 'znull', 'b2', 'a7']);
  });

  it('leaves unversioned entries where they are', () => {
    const entries = [e('c', null), e('c', null)];
    expect(inEntityOrder(entries)).toEqual(entries);
  });
});
