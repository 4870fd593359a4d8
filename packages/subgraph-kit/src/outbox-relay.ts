import type { Logger } from '@supergraph/runtime';
import { inEntityOrder, type OutboxEntry, type OutboxStore } from './outbox.js';

export interface RelayOptions {
  /** How often the relay looks for entries nobody published (a crashed process's, or after a failed wake). */
  pollMs: number;
  /** How long a published entry is kept (for subscribers catching up) before it is deleted. */
  retentionMs: number;
  /** Entries read per round trip. */
  batchSize?: number;
  /** Longest wait between attempts while publishing fails. */
  maxBackoffMs?: number;
}

const FIRST_BACKOFF_MS = 100;
/** Most entries kept in memory for sending; more are read back from the store. */
const MAX_RECORDED = 10_000;
/** How long stop() waits for a pass under way. */
const STOP_WAIT_MS = 2_000;

/**
 * Publishes outbox entries and marks them sent: one relay per process, started and stopped with
 * the service. Oldest first, stopping at the first failure, so one entity's events leave in order.
 *
 * Delivery is at least once: a publish whose "sent" mark is lost, or an overdue entry two relays
 * both pick up, goes out twice; subscribers drop the second by event id (event-stream.ts).
 * Hand-written because no library fits: outbox relays ship with message brokers' frameworks, and
 * this one has to work on FerretDB (no change streams, no transactions, no TTL indexes).
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly maxBackoffMs: number;
  /** A pass is running; wakes meanwhile ask for another. */
  private running: Promise<void> | null = null;
  private again = false;
  private includeOverdue = false;
  private retry: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private failures = 0;
  private lastPrune = 0;
  private stopped = false;
  /**
   * This process's entries recorded since the relay last read the store, oldest first: sent without
   * reading them back (on FerretDB every such read scans the collection).
   */
  private readonly recorded: OutboxEntry[] = [];
  /** This process's unsent entries may be in the store and not in `recorded` (at start, after a failure): read them first. */
  private readFromStore = true;

  constructor(
    private readonly store: OutboxStore,
    private readonly send: (entry: OutboxEntry) => Promise<void>,
    /** This process's origin: its own entries go at once, others' once overdue (older than a poll interval). */
    private readonly origin: string,
    private readonly logger: Logger,
    private readonly options: RelayOptions,
  ) {
    this.batchSize = options.batchSize ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 5_000;
  }

  start(): void {
    if (this.poll || this.stopped) return;
    this.poll = setInterval(() => this.wake({ overdue: true }), this.options.pollMs);
    this.poll.unref();
    this.wake({ overdue: true });
  }

  /** An entry this process has just stored: sent soon, after every older one of this process. */
  record(entry: OutboxEntry): void {
    if (this.stopped) return;
    // Bounded: past the cap (a long outage) the entry is left to be read back from the store.
    if (this.recorded.length < MAX_RECORDED) this.recorded.push(entry);
    else this.readFromStore = true;
    this.wake();
  }

  /** This process's events recorded and not yet sent (at least: past the in-memory cap they wait in the store only). */
  get pending(): number {
    return this.recorded.length;
  }

  /** True while publishing fails (Redis away): events are kept and sent once it is back. */
  get failing(): boolean {
    return this.failures > 0;
  }

  /**
   * Asks for a pass soon: after each recorded event (own entries only), on every poll (overdue
   * entries of any origin too). While backing off after a failure, it waits for the retry.
   */
  wake(options: { overdue?: boolean } = {}): void {
    if (this.stopped) return;
    this.again = true;
    if (options.overdue) this.includeOverdue = true;
    if (this.running || this.retry) return;
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Publishing may work again (Redis is back): retry now instead of at the end of the backoff. */
  retryNow(): void {
    if (!this.retry) return;
    clearTimeout(this.retry);
    this.retry = null;
    this.wake({ overdue: true });
  }

  /**
   * Stops polling and retrying and waits for a pass under way, but not for long: a send stuck on an
   * unanswering transport must not hold up shutdown. Unsent entries stay for the next relay.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    if (this.retry) clearTimeout(this.retry);
    this.poll = this.retry = null;
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running, new Promise((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)))]);
    clearTimeout(timer);
  }

  private async loop(): Promise<void> {
    while (this.again && !this.stopped) {
      this.again = false;
      const overdue = this.includeOverdue;
      this.includeOverdue = false;
      try {
        if (this.readFromStore) {
          // Everything recorded so far is in the store (it was stored before it was recorded), so
          // this read covers it; what is recorded during the read stays for the next step.
          const covered = this.recorded.length;
          await this.publishUnsent({ origin: this.origin });
          this.recorded.splice(0, covered);
          this.readFromStore = false;
        }
        await this.publishRecorded();
        if (overdue) await this.publishUnsent({ createdBefore: new Date(Date.now() - this.options.pollMs) });
        if (this.failures > 0) this.logger.info('outbox relay publishing again', { failedAttempts: this.failures });
        this.failures = 0;
      } catch (error) {
        this.failures++;
        // Whatever was not sent is in the store: read it back from there when retrying.
        this.recorded.length = 0;
        this.readFromStore = true;
        // Logged when the trouble starts, not at every retry.
        if (this.failures === 1) this.logger.warn('outbox relay cannot publish; events are kept and retried', { error });
        const delay = Math.min(this.maxBackoffMs, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
        this.includeOverdue ||= overdue;
        this.retry = setTimeout(() => {
          this.retry = null;
          this.wake({ overdue: true });
        }, delay);
        this.retry.unref();
        return;
      }
      if (overdue) await this.pruneNow();
    }
  }

  private async publishRecorded(): Promise<void> {
    while (this.recorded.length > 0 && !this.stopped) {
      const batch = inEntityOrder(this.recorded.slice(0, this.batchSize));
      for (const entry of batch) {
        await this.send(entry);
        await this.store.markSent([entry.eventId], new Date());
      }
      this.recorded.splice(0, batch.length);
    }
  }

  private async publishUnsent(filter: { origin?: string; createdBefore?: Date }): Promise<void> {
    for (;;) {
      const batch = inEntityOrder(await this.store.unsent(filter, this.batchSize));
      const sent: string[] = [];
      try {
        for (const entry of batch) {
          await this.send(entry);
          sent.push(entry.eventId);
        }
      } finally {
        // What went out is marked even when a later entry failed, so it is not sent again.
        await this.store.markSent(sent, new Date());
      }
      if (batch.length < this.batchSize || this.stopped) return;
    }
  }

  /** Deletes entries sent longer ago than the retention, at most about once a minute. */
  private async pruneNow(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < Math.min(60_000, this.options.retentionMs)) return;
    this.lastPrune = now;
    try {
      const removed = await this.store.prune(new Date(now - this.options.retentionMs));
      if (removed > 0) this.logger.debug('outbox pruned', { removed });
    } catch (error) {
      this.logger.warn('outbox prune failed; will retry', { error });
    }
  }
}
