import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '@supergraph/runtime';
import { createMemoryOutbox, OutboxRelay, type NewOutboxEntry, type OutboxEntry, type OutboxStore } from './index.js';

const logger = createLogger('test', 'silent');
const relays: OutboxRelay[] = [];

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.stop()));
});

function entry(n: number, origin = 'me', ageMs = 0): NewOutboxEntry {
  return {
    eventId: `e${n}`,
    channel: 'c',
    entity: 'x',
    version: n,
    payload: JSON.stringify({ n }),
    origin,
    createdAt: new Date(Date.now() - ageMs),
  };
}

/** A destination that records what it was sent and fails while `down`. */
function destination() {
  const sent: string[] = [];
  let attempts = 0;
  const state = { down: false };
  return {
    sent,
    state,
    attempts: () => attempts,
    send: async (e: OutboxEntry) => {
      attempts++;
      if (state.down) throw new Error('redis is down');
      sent.push(e.eventId);
    },
  };
}

function relay(store: OutboxStore, send: (e: OutboxEntry) => Promise<void>, options = { pollMs: 60_000, retentionMs: 60_000 }) {
  const r = new OutboxRelay(store, send, 'me', logger, { ...options, maxBackoffMs: 200 });
  relays.push(r);
  return r;
}

/** What the event bus does: store the entry, then hand it to the relay. */
async function recordIn(store: OutboxStore, r: OutboxRelay, e: NewOutboxEntry): Promise<void> {
  await store.append(e);
  r.record({ ...e, sentAt: null });
}

const unsentIds = async (store: OutboxStore) =>
  (await store.unsent({ createdBefore: new Date(Date.now() + 1_000) }, 100)).map((e) => e.eventId);

describe('OutboxRelay', () => {
  it('publishes what was recorded, oldest first, and marks it sent', async () => {
    const store = createMemoryOutbox();
    const to = destination();
    const r = relay(store, to.send);
    r.start();
    for (let n = 1; n <= 3; n++) await recordIn(store, r, entry(n));
    await vi.waitFor(() => expect(to.sent).toEqual(['e1', 'e2', 'e3']), { timeout: 2_000, interval: 10 });
    await vi.waitFor(async () => expect(await unsentIds(store)).toEqual([]), { timeout: 2_000, interval: 10 });
  });

  it('sends what this process records without reading the store back for it', async () => {
    const store = createMemoryOutbox();
    let reads = 0;
    const counting: OutboxStore = {
      ...store,
      unsent: (filter, limit) => {
        reads++;
        return store.unsent(filter, limit);
      },
    };
    const to = destination();
    const r = relay(counting, to.send);
    r.start();
    await vi.waitFor(() => expect(reads).toBe(2), { timeout: 2_000, interval: 10 }); // at start: its own leftovers and overdue ones
    for (let n = 1; n <= 5; n++) await recordIn(store, r, entry(n));
    await vi.waitFor(() => expect(to.sent).toEqual(['e1', 'e2', 'e3', 'e4', 'e5']), { timeout: 2_000, interval: 10 });
    expect(reads).toBe(2);
    expect(await unsentIds(store)).toEqual([]);
  });

  it('keeps what it cannot publish, retries, and delivers everything in order once publishing works again', async () => {
    const store = createMemoryOutbox();
    const to = destination();
    to.state.down = true;
    const r = relay(store, to.send);
    r.start();
    for (let n = 1; n <= 4; n++) await recordIn(store, r, entry(n));
    // It keeps trying (backing off), sends nothing, and keeps every entry.
    await vi.waitFor(() => expect(to.attempts()).toBeGreaterThanOrEqual(3), { timeout: 3_000, interval: 10 });
    expect(r.failing).toBe(true);
    expect(to.sent).toEqual([]);
    expect(await unsentIds(store)).toEqual(['e1', 'e2', 'e3', 'e4']);
    to.state.down = false;
    r.retryNow();
    await vi.waitFor(() => expect(to.sent).toEqual(['e1', 'e2', 'e3', 'e4']), { timeout: 2_000, interval: 10 });
    expect(r.failing).toBe(false);
    expect(await unsentIds(store)).toEqual([]);
  });

  it('stops at the first failure, so what follows does not overtake it', async () => {
    const store = createMemoryOutbox();
    const sent: string[] = [];
    let failNext = true;
    const r = relay(store, async (e) => {
      if (e.eventId === 'e2' && failNext) {
        failNext = false;
        throw new Error('one failure');
      }
      sent.push(e.eventId);
    });
    for (let n = 1; n <= 3; n++) await store.append(entry(n));
    r.start();
    await vi.waitFor(() => expect(sent).toEqual(['e1', 'e2', 'e3']), { timeout: 3_000, interval: 10 });
  });

  it("publishes another process's entries only once they are overdue (its relay may have died)", async () => {
    const store = createMemoryOutbox();
    const to = destination();
    await store.append(entry(1, 'crashed', 5_000));
    await store.append(entry(2, 'alive', 0));
    const r = relay(store, to.send, { pollMs: 1_000, retentionMs: 60_000 });
    r.start();
    await vi.waitFor(() => expect(to.sent).toEqual(['e1']), { timeout: 2_000, interval: 10 });
    // The live one's own relay has a poll interval to send it; then anyone may.
    expect(await unsentIds(store)).toEqual(['e2']);
    await vi.waitFor(() => expect(to.sent).toEqual(['e1', 'e2']), { timeout: 4_000, interval: 20 });
  });

  it('deletes sent entries after the retention period, never unsent ones', async () => {
    const store = createMemoryOutbox();
    const old = entry(1);
    await store.append(old);
    await store.markSent([old.eventId], new Date(Date.now() - 120_000));
    await store.append(entry(2, 'elsewhere')); // unsent and not overdue: stays
    const r = relay(store, async () => {}, { pollMs: 60_000, retentionMs: 60_000 });
    r.start();
    await vi.waitFor(async () => expect((await store.since('c', new Date(0), 10)).map((e) => e.eventId)).toEqual(['e2']), {
      timeout: 2_000,
      interval: 10,
    });
  });

  it('sends nothing after stop', async () => {
    const store = createMemoryOutbox();
    const to = destination();
    const r = relay(store, to.send);
    r.start();
    await r.stop();
    await recordIn(store, r, entry(1));
    r.wake();
    r.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(to.sent).toEqual([]);
  });
});
