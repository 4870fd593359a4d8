/**
 * Reference-counted feeds: the first sink to join a key opens the feed, the
 * last to leave closes it. Used twice: one upstream stream per identical
 * subgraph subscription, and one per-event execution per identical client operation.
 */
export interface Sink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

type Open<T> = (emit: Sink<T>) => () => void;

interface OpenFeed<T> {
  sinks: Set<Sink<T>>;
  close: () => void;
}

export class SharedFeeds<T> {
  private readonly feeds = new Map<string, OpenFeed<T>>();

  /** Joins the feed for `key`, opening it if this is the first sink. Returns `leave`. */
  join(key: string, open: Open<T>, sink: Sink<T>): () => void {
    let feed = this.feeds.get(key);
    if (feed) {
      feed.sinks.add(sink);
    } else {
      // The sink is in before `open` runs, so an error or completion emitted during `open` reaches it.
      const sinks = new Set<Sink<T>>([sink]);
      const created: OpenFeed<T> = { sinks, close: () => {} };
      this.feeds.set(key, created);
      let opened = false;
      let ended = false;
      const endAll = (notify: (s: Sink<T>) => void) => {
        if (ended) return;
        ended = true;
        if (this.feeds.get(key) === created) this.feeds.delete(key);
        for (const s of [...sinks]) notify(s);
        sinks.clear();
        // A feed that ended by itself still holds what open acquired (an upstream socket, say).
        if (opened) created.close();
      };
      try {
        created.close = open({
          next: (value) => {
            for (const s of [...sinks]) s.next(value);
          },
          error: (error) => endAll((s) => s.error(error)),
          complete: () => endAll((s) => s.complete()),
        });
      } catch (error) {
        if (this.feeds.get(key) === created) this.feeds.delete(key);
        throw error;
      }
      opened = true;
      // Ended while opening: release what open acquired now that close is known.
      if (ended) created.close();
      feed = created;
    }
    const joined = feed;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      joined.sinks.delete(sink);
      if (joined.sinks.size === 0 && this.feeds.get(key) === joined) {
        this.feeds.delete(key);
        joined.close();
      }
    };
  }

  /** Number of open feeds. */
  size(): number {
    return this.feeds.size;
  }

  /** Number of sinks over all feeds. */
  sinkCount(): number {
    let count = 0;
    for (const feed of this.feeds.values()) count += feed.sinks.size;
    return count;
  }
}
