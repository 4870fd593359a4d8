import { describe, expect, it, vi } from 'vitest';
import { createPushIterator } from './push-iterator.js';

/** Resolves once every pending microtask/promise callback has run. */
const settle = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** Tracks whether a promise has settled yet, without awaiting it. */
function track<T>(promise: Promise<T>) {
  const state: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  );
  return state;
}

describe('createPushIterator', () => {
  it('a reader that is not reading is let go of on overflow, and return() then forgets the error', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose, { maxBuffered: 1, overflowError: () => new Error('too slow') });
    feed.push(1);
    feed.push(2);
    expect(onClose).toHaveBeenCalledTimes(1);
    await feed.iterator.return!();
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('is its own async iterable', () => {
    const { iterator } = createPushIterator<number>(() => {});
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
  });

  it('buffers values pushed before anyone asks and hands them out in order', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.push(2);
    feed.push(3);
    expect(await feed.iterator.next()).toEqual({ value: 1, done: false });
    expect(await feed.iterator.next()).toEqual({ value: 2, done: false });
    expect(await feed.iterator.next()).toEqual({ value: 3, done: false });
    expect(onClose).not.toHaveBeenCalled();
  });

  it('a pending next() waits for the next push', async () => {
    const feed = createPushIterator<string>(() => {});
    const pending = track(feed.iterator.next());
    await settle();
    expect(pending.settled).toBe(false);

    feed.push('a');
    await settle();
    expect(pending).toEqual({ settled: true, value: { value: 'a', done: false } });
  });

  it('several pending next() calls are served in the order they were made', async () => {
    const feed = createPushIterator<number>(() => {});
    const first = feed.iterator.next();
    const second = feed.iterator.next();
    feed.push(10);
    feed.push(20);
    expect(await first).toEqual({ value: 10, done: false });
    expect(await second).toEqual({ value: 20, done: false });
  });

  it('end() with nothing buffered finishes the iterator and runs onClose right away', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    const pending = feed.iterator.next();
    feed.end();
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('end() lets buffered values drain first; onClose runs once they are drained, not before', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.push(2);
    feed.end();
    expect(onClose).not.toHaveBeenCalled();

    expect(await feed.iterator.next()).toEqual({ value: 1, done: false });
    expect(onClose).not.toHaveBeenCalled();
    expect(await feed.iterator.next()).toEqual({ value: 2, done: false });
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);

    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('ignores pushes after end()', async () => {
    const feed = createPushIterator<number>(() => {});
    feed.push(1);
    feed.end();
    feed.push(2);
    const seen: number[] = [];
    for await (const value of feed.iterator) seen.push(value);
    expect(seen).toEqual([1]);
  });

  it('calling end() twice runs onClose only once', () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.end();
    feed.end();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('return() finishes the iterator, drops buffered values and runs onClose once', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.push(2);

    expect(await feed.iterator.return!()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });

    await feed.iterator.return!();
    feed.end();
    feed.fail(new Error('late'));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('return() resolves a pending next() as done', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    const pending = feed.iterator.next();
    await feed.iterator.return!();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('ignores pushes after return()', async () => {
    const feed = createPushIterator<number>(() => {});
    await feed.iterator.return!();
    feed.push(1);
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('breaking out of for await calls return(), which runs onClose', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.push(2);
    feed.push(3);
    const seen: number[] = [];
    for await (const value of feed.iterator) {
      seen.push(value);
      if (value === 2) break;
    }
    expect(seen).toEqual([1, 2]);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('onClose after end() runs once even when the consumer also returns', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.end();
    await feed.iterator.return!();
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('fail() rejects a pending next() with the error and runs onClose once', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    const pending = feed.iterator.next();
    const failure = new Error('upstream failed');
    feed.fail(failure);
    await expect(pending).rejects.toBe(failure);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('fail() with nothing pending rejects the next next() once, then the iterator is done', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    const failure = new Error('boom');
    feed.fail(failure);
    await expect(feed.iterator.next()).rejects.toBe(failure);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('fail() after buffered values delivers the values first, then the error', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.push(2);
    const failure = new Error('late failure');
    feed.fail(failure);
    feed.push(3);

    // The feed is let go of at once (a slow reader must not hold it), yet the reader still gets it all.
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await feed.iterator.next()).toEqual({ value: 1, done: false });
    expect(await feed.iterator.next()).toEqual({ value: 2, done: false });
    await expect(feed.iterator.next()).rejects.toBe(failure);
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('for await surfaces a failure as a thrown error after the buffered values', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.fail(new Error('stream broke'));
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const value of feed.iterator) seen.push(value);
      })(),
    ).rejects.toThrow('stream broke');
    expect(seen).toEqual([1]);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('fail() after end() is ignored', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.push(1);
    feed.end();
    feed.fail(new Error('ignored'));
    expect(await feed.iterator.next()).toEqual({ value: 1, done: false });
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('end() after fail() does not swallow the pending error', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    const failure = new Error('first');
    feed.fail(failure);
    feed.end();
    await expect(feed.iterator.next()).rejects.toBe(failure);
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('a second fail() is ignored', async () => {
    const feed = createPushIterator<number>(() => {});
    const first = new Error('first');
    feed.fail(first);
    feed.fail(new Error('second'));
    await expect(feed.iterator.next()).rejects.toBe(first);
    expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('return() after an undelivered fail() finishes the iterator and runs onClose once', async () => {
    const onClose = vi.fn();
    const feed = createPushIterator<number>(onClose);
    feed.fail(new Error('never seen'));
    expect(await feed.iterator.return!()).toEqual({ value: undefined, done: true });
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it('works with values pushed while a for await loop is running', async () => {
    const feed = createPushIterator<number>(() => {});
    const seen: number[] = [];
    const consumer = (async () => {
      for await (const value of feed.iterator) seen.push(value);
    })();
    feed.push(1);
    await settle();
    feed.push(2);
    feed.push(3);
    await settle();
    feed.end();
    await consumer;
    expect(seen).toEqual([1, 2, 3]);
  });

  describe('maxBuffered', () => {
    it('buffers without limit by default', async () => {
      const feed = createPushIterator<number>(() => {});
      for (let i = 0; i < 10_000; i++) feed.push(i);
      feed.end();
      let count = 0;
      for await (const value of feed.iterator) expect(value).toBe(count++);
      expect(count).toBe(10_000);
    });

    it('keeps up to maxBuffered values for a slow consumer', async () => {
      const onClose = vi.fn();
      const feed = createPushIterator<number>(onClose, { maxBuffered: 3 });
      feed.push(1);
      feed.push(2);
      feed.push(3);
      feed.end();
      const seen: number[] = [];
      for await (const value of feed.iterator) seen.push(value);
      expect(seen).toEqual([1, 2, 3]);
      expect(onClose).toHaveBeenCalledTimes(1);
    });

    it('fails a consumer that falls more than maxBuffered behind with overflowError(), dropping what was buffered', async () => {
      const onClose = vi.fn();
      const tooSlow = new Error('too slow, resubscribe');
      const feed = createPushIterator<number>(onClose, { maxBuffered: 2, overflowError: () => tooSlow });
      feed.push(1);
      feed.push(2);
      feed.push(3);
      feed.push(4);

      await expect(feed.iterator.next()).rejects.toBe(tooSlow);
      expect(onClose).toHaveBeenCalledTimes(1);
      expect(await feed.iterator.next()).toEqual({ value: undefined, done: true });
      expect(onClose).toHaveBeenCalledTimes(1);
    });

    it('uses a default overflow error when none is given', async () => {
      const feed = createPushIterator<number>(() => {}, { maxBuffered: 1 });
      feed.push(1);
      feed.push(2);
      await expect(feed.iterator.next()).rejects.toThrow(/slow/);
    });

    it('values handed straight to a waiting consumer do not count against the limit', async () => {
      const feed = createPushIterator<number>(() => {}, { maxBuffered: 1 });
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) {
        const next = feed.iterator.next();
        feed.push(i);
        const result = await next;
        if (!result.done) seen.push(result.value);
      }
      feed.push(5);
      expect(await feed.iterator.next()).toEqual({ value: 5, done: false });
      expect(seen).toEqual([0, 1, 2, 3, 4]);
    });
  });
});
