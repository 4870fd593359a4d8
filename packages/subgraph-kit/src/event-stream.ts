/** An event as it travels: its id, its subject and version (see versioning.ts), and the payload subscribers get. */
export interface EventEnvelope {
  id: string;
  entity: string;
  version: number | null;
  payload: unknown;
  /** The W3C traceparent of the write that caused the event, when it was traced. */
  traceparent?: string;
}

/**
 * Drops what one subscriber must not see twice: an event whose id it has had, and an event about an
 * entity whose version is not newer than the last one delivered for it (a duplicate under another
 * id, or a stale event overtaken by a newer one). Bounded: the oldest ids and entities are forgotten
 * first, so a long-lived subscription on a busy channel does not grow without end.
 */
export class DuplicateFilter {
  private readonly ids = new Set<string>();
  private readonly versions = new Map<string, number>();

  constructor(
    private readonly maxIds = 2_000,
    private readonly maxEntities = 10_000,
  ) {}

  admit(event: Pick<EventEnvelope, 'id' | 'entity' | 'version'>): boolean {
    if (this.ids.has(event.id)) return false;
    if (event.version !== null) {
      const last = this.versions.get(event.entity);
      if (last !== undefined && event.version <= last) return false;
      this.versions.delete(event.entity); // re-inserted last: a Map iterates in insertion order
      this.versions.set(event.entity, event.version);
      if (this.versions.size > this.maxEntities) this.versions.delete(this.versions.keys().next().value!);
    }
    this.ids.add(event.id);
    if (this.ids.size > this.maxIds) this.ids.delete(this.ids.values().next().value!);
    return true;
  }
}

/**
 * One subscriber's events, as the async iterator GraphQL subscriptions consume. Deliveries pass
 * the DuplicateFilter. While it catches up (reads what it may have missed while the transport was
 * down), live deliveries are held back and let through afterwards, so a newer live event cannot
 * overtake, and so drop as stale, an older missed one.
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  /** Events older than this are none of this subscriber's business: it was not subscribed yet. */
  readonly openedAt = new Date();
  private readonly filter = new DuplicateFilter();
  private readonly queue: T[] = [];
  private readonly waiting: ((result: IteratorResult<T>) => void)[] = [];
  private held: EventEnvelope[] | null = null;
  private catchingUp: Promise<void> = Promise.resolve();
  private pendingCatchUps = 0;
  private finished = false;

  constructor(
    private readonly onClose: () => Promise<void>,
    /** Told of each event let through to this subscriber (for its trace). */
    private readonly onDeliver: (event: EventEnvelope) => void = () => {},
  ) {}

  get closed(): boolean {
    return this.finished;
  }

  /** A live delivery. */
  receive(event: EventEnvelope): void {
    if (this.held) this.held.push(event);
    else this.accept(event);
  }

  /**
   * Delivers what `read` returns (oldest first) before any live delivery that arrives from this call
   * on (held from the moment of the call, as the caller may already have started the read). Catch-ups
   * run one after another; live deliveries flow again after the last. A read that fails leaves the
   * stream live: `onError` hears of it.
   */
  catchUp(read: () => Promise<EventEnvelope[]>, onError: (error: unknown) => void): Promise<void> {
    this.held ??= [];
    this.pendingCatchUps++;
    this.catchingUp = this.catchingUp.then(async () => {
      try {
        if (!this.finished) for (const event of await read()) this.accept(event);
      } catch (error) {
        onError(error);
      } finally {
        if (--this.pendingCatchUps === 0) {
          const held = this.held ?? [];
          this.held = null;
          for (const event of held) this.accept(event);
        }
      }
    });
    return this.catchingUp;
  }

  private accept(event: EventEnvelope): void {
    if (this.finished || !this.filter.admit(event)) return;
    this.onDeliver(event);
    const payload = event.payload as T;
    const waiter = this.waiting.shift();
    if (waiter) waiter({ done: false, value: payload });
    else this.queue.push(payload);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ done: false, value: this.queue.shift()! });
    if (this.finished) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async return(): Promise<IteratorResult<T>> {
    if (!this.finished) {
      this.finished = true;
      this.queue.length = 0;
      for (const waiter of this.waiting.splice(0)) waiter({ done: true, value: undefined });
      await this.onClose();
    }
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<T>> {
    await this.return();
    throw error;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
