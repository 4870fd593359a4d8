import { describe, expect, it, vi } from 'vitest';
import { SharedFeeds, type Sink } from './shared-feeds.js';

/** A sink that records everything it receives. */
function recorder<T>() {
  const events: (['next', T] | ['error', unknown] | ['complete'])[] = [];
  const sink: Sink<T> = {
    next: (value) => events.push(['next', value]),
    error: (error) => events.push(['error', error]),
    complete: () => events.push(['complete']),
  };
  return { sink, events };
}

/** An `open` function that exposes the emitter it was given and counts opens and closes. */
function source<T>() {
  const emitters: Sink<T>[] = [];
  const close = vi.fn();
  const open = vi.fn((emit: Sink<T>) => {
    emitters.push(emit);
    return close;
  });
  return {
    open,
    close,
    /** The emitter of the most recent open. */
    get emit(): Sink<T> {
      const emit = emitters.at(-1);
      if (!emit) throw new Error('the feed was never opened');
      return emit;
    },
    emitters,
  };
}

describe('SharedFeeds', () => {
  it('delivers an error emitted while opening to the joining sink, and releases what open acquired', () => {
    const feeds = new SharedFeeds<number>();
    const { sink, events } = recorder<number>();
    const close = vi.fn();
    const failure = new Error('refused at once');
    feeds.join(
      'k',
      (emit) => {
        emit.error(failure);
        return close;
      },
      sink,
    );
    expect(events).toEqual([['error', failure]]);
    expect(feeds.size()).toBe(0);
    expect(close).toHaveBeenCalledTimes(1);
  });

  it('leaves nothing behind when open throws, so the next join opens afresh', () => {
    const feeds = new SharedFeeds<number>();
    expect(() =>
      feeds.join(
        'k',
        () => {
          throw new Error('cannot connect');
        },
        recorder<number>().sink,
      ),
    ).toThrow('cannot connect');
    expect(feeds.size()).toBe(0);
    const retry = source<number>();
    const { sink, events } = recorder<number>();
    feeds.join('k', retry.open, sink);
    retry.emit.next(7);
    expect(retry.open).toHaveBeenCalledTimes(1);
    expect(events).toEqual([['next', 7]]);
  });

  it('starts empty', () => {
    const feeds = new SharedFeeds<number>();
    expect(feeds.size()).toBe(0);
    expect(feeds.sinkCount()).toBe(0);
  });

  it('opens a feed on the first join only and shares it with later sinks of the same key', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const a = recorder<number>();
    const b = recorder<number>();

    feeds.join('k', src.open, a.sink);
    expect(src.open).toHaveBeenCalledTimes(1);
    feeds.join('k', src.open, b.sink);
    expect(src.open).toHaveBeenCalledTimes(1);
    expect(src.close).not.toHaveBeenCalled();
    expect(feeds.size()).toBe(1);
    expect(feeds.sinkCount()).toBe(2);
  });

  it('does not call the open function of a later join when the feed is already open', () => {
    const feeds = new SharedFeeds<number>();
    const first = source<number>();
    const second = source<number>();
    feeds.join('k', first.open, recorder<number>().sink);
    feeds.join('k', second.open, recorder<number>().sink);
    expect(first.open).toHaveBeenCalledTimes(1);
    expect(second.open).not.toHaveBeenCalled();
  });

  it('fans every value out to all sinks of the key, in order', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const a = recorder<number>();
    const b = recorder<number>();
    feeds.join('k', src.open, a.sink);
    feeds.join('k', src.open, b.sink);

    src.emit.next(1);
    src.emit.next(2);

    expect(a.events).toEqual([
      ['next', 1],
      ['next', 2],
    ]);
    expect(b.events).toEqual([
      ['next', 1],
      ['next', 2],
    ]);
  });

  it('keeps different keys apart: one feed each, values go only to that key', () => {
    const feeds = new SharedFeeds<string>();
    const x = source<string>();
    const y = source<string>();
    const a = recorder<string>();
    const b = recorder<string>();
    feeds.join('x', x.open, a.sink);
    feeds.join('y', y.open, b.sink);

    expect(x.open).toHaveBeenCalledTimes(1);
    expect(y.open).toHaveBeenCalledTimes(1);
    expect(feeds.size()).toBe(2);
    expect(feeds.sinkCount()).toBe(2);

    x.emit.next('for x');
    y.emit.next('for y');
    expect(a.events).toEqual([['next', 'for x']]);
    expect(b.events).toEqual([['next', 'for y']]);
  });

  it('a sink that joins late only sees values emitted after it joined', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const early = recorder<number>();
    const late = recorder<number>();
    feeds.join('k', src.open, early.sink);
    src.emit.next(1);
    feeds.join('k', src.open, late.sink);
    src.emit.next(2);
    expect(early.events).toEqual([
      ['next', 1],
      ['next', 2],
    ]);
    expect(late.events).toEqual([['next', 2]]);
  });

  it('keeps the feed open while any sink remains and closes it when the last one leaves', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const a = recorder<number>();
    const b = recorder<number>();
    const leaveA = feeds.join('k', src.open, a.sink);
    const leaveB = feeds.join('k', src.open, b.sink);

    leaveA();
    expect(src.close).not.toHaveBeenCalled();
    expect(feeds.size()).toBe(1);
    expect(feeds.sinkCount()).toBe(1);

    src.emit.next(7);
    expect(a.events).toEqual([]);
    expect(b.events).toEqual([['next', 7]]);

    leaveB();
    expect(src.close).toHaveBeenCalledTimes(1);
    expect(feeds.size()).toBe(0);
    expect(feeds.sinkCount()).toBe(0);
  });

  it('leaving sinks are not completed or errored by the leave itself', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const a = recorder<number>();
    feeds.join('k', src.open, a.sink)();
    expect(a.events).toEqual([]);
  });

  it('a second call of the same leave is a no-op (does not count as another sink leaving)', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const leaveA = feeds.join('k', src.open, recorder<number>().sink);
    const leaveB = feeds.join('k', src.open, recorder<number>().sink);

    leaveA();
    leaveA();
    expect(src.close).not.toHaveBeenCalled();
    expect(feeds.sinkCount()).toBe(1);

    leaveB();
    leaveB();
    expect(src.close).toHaveBeenCalledTimes(1);
  });

  it('opens a fresh feed when a key is joined again after it closed', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    feeds.join('k', src.open, recorder<number>().sink)();
    expect(src.close).toHaveBeenCalledTimes(1);

    const again = recorder<number>();
    feeds.join('k', src.open, again.sink);
    expect(src.open).toHaveBeenCalledTimes(2);
    expect(feeds.size()).toBe(1);

    src.emitters[1].next(3);
    expect(again.events).toEqual([['next', 3]]);
  });

  it('an error ends every sink with that error and drops the feed', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const a = recorder<number>();
    const b = recorder<number>();
    const other = recorder<number>();
    const otherSrc = source<number>();
    feeds.join('k', src.open, a.sink);
    feeds.join('k', src.open, b.sink);
    feeds.join('other', otherSrc.open, other.sink);

    const failure = new Error('upstream lost');
    src.emit.error(failure);

    expect(a.events).toEqual([['error', failure]]);
    expect(b.events).toEqual([['error', failure]]);
    expect(other.events).toEqual([]);
    expect(feeds.size()).toBe(1);
    expect(feeds.sinkCount()).toBe(1);
  });

  it('complete ends every sink and drops the feed', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const a = recorder<number>();
    const b = recorder<number>();
    feeds.join('k', src.open, a.sink);
    feeds.join('k', src.open, b.sink);

    src.emit.next(1);
    src.emit.complete();

    expect(a.events).toEqual([['next', 1], ['complete']]);
    expect(b.events).toEqual([['next', 1], ['complete']]);
    expect(feeds.size()).toBe(0);
    expect(feeds.sinkCount()).toBe(0);
    expect(src.close).toHaveBeenCalledTimes(1);
  });

  it('releases a feed that ended by itself exactly once, however its sinks leave afterwards', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const leaveA = feeds.join('k', src.open, recorder<number>().sink);
    const leaveB = feeds.join('k', src.open, recorder<number>().sink);
    src.emit.complete();
    // What open acquired (an upstream socket) is let go of when the feed ends, not leaked.
    expect(src.close).toHaveBeenCalledTimes(1);
    leaveA();
    leaveB();
    src.emit.error(new Error('late'));
    expect(src.close).toHaveBeenCalledTimes(1);
    expect(feeds.size()).toBe(0);
  });

  it('after an error, the next join opens a new feed, and late emits of the dead feed reach nobody', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const old = recorder<number>();
    feeds.join('k', src.open, old.sink);
    const deadEmit = src.emit;
    deadEmit.error(new Error('gone'));

    const fresh = recorder<number>();
    feeds.join('k', src.open, fresh.sink);
    expect(src.open).toHaveBeenCalledTimes(2);

    deadEmit.next(99);
    deadEmit.complete();
    src.emitters[1].next(1);

    expect(fresh.events).toEqual([['next', 1]]);
    expect(old.events).toHaveLength(1);
    expect(feeds.size()).toBe(1);
    expect(feeds.sinkCount()).toBe(1);
  });

  it('a stale leave from an ended feed does not close a newer feed of the same key', () => {
    const feeds = new SharedFeeds<number>();
    const first = source<number>();
    const second = source<number>();
    const leaveOld = feeds.join('k', first.open, recorder<number>().sink);
    first.emit.complete();

    const fresh = recorder<number>();
    feeds.join('k', second.open, fresh.sink);
    leaveOld();

    expect(second.close).not.toHaveBeenCalled();
    expect(feeds.size()).toBe(1);
    second.emit.next(5);
    expect(fresh.events).toEqual([['next', 5]]);
  });

  it('a sink that joins while a value is being fanned out does not get that value, only later ones', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const late = recorder<number>();
    let joined = false;
    feeds.join('k', src.open, {
      next: () => {
        if (joined) return;
        joined = true;
        feeds.join('k', src.open, late.sink);
      },
      error: () => {},
      complete: () => {},
    });

    src.emit.next(1);
    expect(late.events).toEqual([]);
    expect(src.open).toHaveBeenCalledTimes(1);
    src.emit.next(2);
    expect(late.events).toEqual([['next', 2]]);
  });

  it('a sink may leave while a value is being fanned out without breaking delivery to the others', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const b = recorder<number>();
    const seenByA: number[] = [];
    const leaveA = feeds.join('k', src.open, {
      next: (value) => {
        seenByA.push(value);
        leaveA();
      },
      error: () => {},
      complete: () => {},
    });
    feeds.join('k', src.open, b.sink);

    src.emit.next(1);
    src.emit.next(2);

    expect(seenByA).toEqual([1]);
    expect(b.events).toEqual([
      ['next', 1],
      ['next', 2],
    ]);
    expect(src.close).not.toHaveBeenCalled();
    expect(feeds.sinkCount()).toBe(1);
  });

  it('closes the feed when the last sink leaves from inside its own next handler', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const leave = feeds.join('k', src.open, {
      next: () => leave(),
      error: () => {},
      complete: () => {},
    });
    src.emit.next(1);
    expect(src.close).toHaveBeenCalledTimes(1);
    expect(feeds.size()).toBe(0);
  });

  it('a sink that rejoins the same key from its complete handler gets a fresh, working feed', () => {
    const feeds = new SharedFeeds<number>();
    const src = source<number>();
    const rejoined = recorder<number>();
    feeds.join('k', src.open, {
      next: () => {},
      error: () => {},
      complete: () => {
        feeds.join('k', src.open, rejoined.sink);
      },
    });

    src.emit.complete();

    expect(src.open).toHaveBeenCalledTimes(2);
    expect(feeds.size()).toBe(1);
    expect(feeds.sinkCount()).toBe(1);
    src.emitters[1].next(8);
    expect(rejoined.events).toEqual([['next', 8]]);
  });

  it('counts sinks over all feeds', () => {
    const feeds = new SharedFeeds<number>();
    const leaves = [
      feeds.join('a', source<number>().open, recorder<number>().sink),
      feeds.join('a', source<number>().open, recorder<number>().sink),
      feeds.join('b', source<number>().open, recorder<number>().sink),
    ];
    expect(feeds.size()).toBe(2);
    expect(feeds.sinkCount()).toBe(3);
    leaves[2]();
    expect(feeds.size()).toBe(1);
    expect(feeds.sinkCount()).toBe(2);
    leaves[0]();
    leaves[1]();
    expect(feeds.size()).toBe(0);
    expect(feeds.sinkCount()).toBe(0);
  });
});
