import { describe, expect, it } from 'vitest';
import type { Redis } from 'ioredis';
import { ListingCache } from './listing-cache.js';
import { depsOf, freshPrefix, gate, jsonCodec, twoInstances } from './test-support.fixture.js';

const clients = twoInstances();

type Page = string[];
const cacheOn = (redis: Redis, prefix: string, config = {}) => new ListingCache<Page>('page', depsOf(redis, prefix, config), jsonCodec);

/** A stand-in query: counts its reads and answers with the current rows. */
function source(rows: Page) {
  const counter = { reads: 0, rows };
  return { counter, load: async () => (counter.reads++, [...counter.rows]) };
}

describe('ListingCache', () => {
  it('serves a page from Redis until any instance invalidates the listings, then reads it again', async () => {
    const prefix = freshPrefix();
    const { counter, load } = source(['kettle']);
    const onA = cacheOn(clients.a, prefix);
    const onB = cacheOn(clients.b, prefix);
    expect(await onB.get({ category: 'Home' }, load)).toEqual(['kettle']);
    expect(await onB.get({ category: 'Home' }, load)).toEqual(['kettle']);
    expect(counter.reads).toBe(1);
    counter.rows = ['kettle', 'lamp'];
    await onA.invalidateAll();
    expect(await onB.get({ category: 'Home' }, load)).toEqual(['kettle', 'lamp']);
    expect(counter.reads).toBe(2);
    expect(onB.stats).toMatchObject({ hits: 1, misses: 2, fills: 2 });
  });

  it('keeps pages of different queries apart', async () => {
    const cache = cacheOn(clients.a, freshPrefix());
    expect(await cache.get({ category: 'Home' }, async () => ['kettle'])).toEqual(['kettle']);
    expect(await cache.get({ category: 'Toys' }, async () => ['kite'])).toEqual(['kite']);
    expect(await cache.get({ category: 'Home' }, async () => ['wrong'])).toEqual(['kettle']);
  });

  it('does not store a page read before a write that invalidated meanwhile', async () => {
    const prefix = freshPrefix();
    const filler = cacheOn(clients.a, prefix);
    const writer = cacheOn(clients.b, prefix);
    const readDone = gate();
    const proceed = gate();
    const filling = filler.get({ q: 1 }, async () => {
      readDone.open();
      await proceed.opened;
      return ['old'];
    });
    await readDone.opened;
    await writer.invalidateAll();
    proceed.open();
    expect(await filling).toEqual(['old']);
    expect(filler.stats.fillsDiscarded).toBe(1);
    expect(await filler.get({ q: 1 }, async () => ['new'])).toEqual(['new']);
  });

  it('fills a page once for callers in one process and across instances', async () => {
    const prefix = freshPrefix();
    const release = gate();
    let reads = 0;
    const load = async () => {
      reads++;
      await release.opened;
      return ['kettle'];
    };
    const onA = cacheOn(clients.a, prefix);
    const pending = [onA.get({ q: 2 }, load), onA.get({ q: 2 }, load)];
    // Let A take the fill lock before B asks.
    while (reads === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    pending.push(cacheOn(clients.b, prefix).get({ q: 2 }, load));
    release.open();
    expect(await Promise.all(pending)).toEqual([['kettle'], ['kettle'], ['kettle']]);
    expect(reads).toBe(1);
  });
});
