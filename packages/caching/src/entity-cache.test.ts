import { describe, expect, it } from 'vitest';
import net from 'node:net';
import type { Redis } from 'ioredis';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS } from '@supergraph/runtime';
import { EntityCache } from './entity-cache.js';
import { depsOf, fakeDatabase, freshPrefix, gate, jsonCodec, logger, twoInstances } from './test-support.fixture.js';

interface Item {
  name: string;
  price: number;
}

const clients = twoInstances();

const cacheOn = (redis: Redis, prefix: string, config = {}) => new EntityCache<Item>('item', depsOf(redis, prefix, config), jsonCodec);

describe('EntityCache', () => {
  it('reads a batch with one database query for the misses only, then serves it from Redis', async () => {
    const db = fakeDatabase(
      new Map([
        ['1', { name: 'kettle', price: 100 }],
        ['2', { name: 'lamp', price: 200 }],
      ]),
    );
    const cache = cacheOn(clients.a, freshPrefix());
    expect(await cache.getMany(['1'], db.load)).toEqual(new Map([['1', { name: 'kettle', price: 100 }]]));
    const both = await cache.getMany(['1', '2', '1'], db.load);
    expect(both).toEqual(
      new Map([
        ['1', { name: 'kettle', price: 100 }],
        ['2', { name: 'lamp', price: 200 }],
      ]),
    );
    expect(db.queries).toEqual([['1'], ['2']]);
    await cache.getMany(['2', '1'], db.load);
    expect(db.queries).toHaveLength(2);
    expect(cache.stats).toMatchObject({ hits: 3, misses: 2, fills: 2 });
  });

  it('remembers a missing id, and forgets it when the id is invalidated (a create)', async () => {
    const db = fakeDatabase(new Map<string, Item>());
    const cache = cacheOn(clients.a, freshPrefix());
    expect(await cache.getMany(['9'], db.load)).toEqual(new Map([['9', null]]));
    expect(await cache.getMany(['9'], db.load)).toEqual(new Map([['9', null]]));
    expect(db.queries).toEqual([['9']]);
    expect(cache.stats.negativeHits).toBe(1);
    db.rows.set('9', { name: 'new', price: 1 });
    await cache.invalidate(['9']);
    expect(await cache.getMany(['9'], db.load)).toEqual(new Map([['9', { name: 'new', price: 1 }]]));
  });

  it('drops a value on every instance when one instance invalidates it after a write', async () => {
    const prefix = freshPrefix();
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const onA = cacheOn(clients.a, prefix);
    const onB = cacheOn(clients.b, prefix);
    await onB.getMany(['1'], db.load);
    db.rows.set('1', { name: 'kettle', price: 150 });
    await onA.invalidate(['1']);
    expect((await onB.getMany(['1'], db.load)).get('1')).toEqual({ name: 'kettle', price: 150 });
  });

  it('does not store what a fill read before a write that invalidated meanwhile', async () => {
    const prefix = freshPrefix();
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const reading = gate();
    const readDone = gate();
    const writer = cacheOn(clients.b, prefix);
    const filler = cacheOn(clients.a, prefix);
    // The fill reads the old row, then the write lands and invalidates, then the fill tries to store.
    const slowLoad = async (ids: string[]) => {
      const rows = await db.load(ids);
      readDone.open();
      await reading.opened;
      return rows;
    };
    const filling = filler.getMany(['1'], slowLoad);
    await readDone.opened;
    db.rows.set('1', { name: 'kettle', price: 150 });
    await writer.invalidate(['1']);
    reading.open();
    expect((await filling).get('1')).toEqual({ name: 'kettle', price: 100 }); // what it read, as a read before the write may
    expect(filler.stats.fillsDiscarded).toBe(1);
    expect((await writer.getMany(['1'], db.load)).get('1')).toEqual({ name: 'kettle', price: 150 });
  });

  it('fills a key once for many callers in one process (single flight)', async () => {
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const cache = cacheOn(clients.a, freshPrefix());
    const results = await Promise.all(Array.from({ length: 10 }, () => cache.getMany(['1'], db.load)));
    expect(results.every((r) => r.get('1')?.price === 100)).toBe(true);
    expect(db.queries).toHaveLength(1);
  });

  it('fills a key once across instances: the second waits for the first instead of reading the database', async () => {
    const prefix = freshPrefix();
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const release = gate();
    const started = gate();
    const held = async (ids: string[]) => {
      started.open();
      await release.opened;
      return db.load(ids);
    };
    const first = cacheOn(clients.a, prefix).getMany(['1'], held);
    await started.opened;
    const secondCache = cacheOn(clients.b, prefix);
    const second = secondCache.getMany(['1'], db.load);
    release.open();
    expect((await first).get('1')?.price).toBe(100);
    expect((await second).get('1')?.price).toBe(100);
    expect(db.queries).toHaveLength(1);
  });

  it('reads the database itself when the instance holding the fill lock never stores', async () => {
    const prefix = freshPrefix();
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const cache = cacheOn(clients.a, prefix, { lockMs: 100 });
    // A filler that took the lock for generation '' (never written) and died.
    await clients.b.set(`${prefix}:cache:item:l:1:`, 'dead-filler', 'PX', 60_000);
    expect((await cache.getMany(['1'], db.load)).get('1')?.price).toBe(100);
    expect(db.queries).toEqual([['1']]);
  });

  it('serves from the database and never fails while Redis is unreachable', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = createRedisClient(`redis://127.0.0.1:${port}`, logger, 'down', { ...FAIL_FAST_REDIS_OPTIONS, lazyConnect: true });
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const cache = cacheOn(down, freshPrefix());
    expect((await cache.getMany(['1', '2'], db.load)).get('1')?.price).toBe(100);
    await expect(cache.invalidate(['1'])).resolves.toBeUndefined();
    expect(cache.stats).toMatchObject({ bypassed: 2, hits: 0 });
    expect(cache.stats.errors).toBeGreaterThanOrEqual(2);
    down.disconnect();
  });

  it('with caching off, reads the database every time and stores nothing', async () => {
    const prefix = freshPrefix();
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const cache = cacheOn(clients.a, prefix, { enabled: false });
    await cache.getMany(['1'], db.load);
    await cache.getMany(['1'], db.load);
    expect(db.queries).toHaveLength(2);
    expect(await clients.a.keys(`${prefix}:*`)).toEqual([]);
  });

  it('keeps values for the configured time, and missing ids for the shorter negative time', async () => {
    const prefix = freshPrefix();
    const db = fakeDatabase(new Map([['1', { name: 'kettle', price: 100 }]]));
    const cache = cacheOn(clients.a, prefix, { entityTtlSeconds: 60, negativeTtlSeconds: 5 });
    await cache.getMany(['1', '2'], db.load);
    const [kept, missing] = await Promise.all([clients.a.pttl(`${prefix}:cache:item:v:1`), clients.a.pttl(`${prefix}:cache:item:v:2`)]);
    expect(kept).toBeGreaterThan(5_000);
    expect(kept).toBeLessThanOrEqual(60_000);
    expect(missing).toBeGreaterThan(0);
    expect(missing).toBeLessThanOrEqual(5_000);
  });
});
