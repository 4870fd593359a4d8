import type { Queue } from 'bullmq';
import { JOB_STATES, queueCounts, type QueueCounts } from '@supergraph/jobs';
import type { ServiceMetrics } from '@supergraph/telemetry';

/** How often the counts are read from Redis between scrapes (a /metrics on METRICS_PORT shows these). */
const REFRESH_MS = 5_000;
/** Longest /health waits for fresh counts before answering with the last ones. */
const HEALTH_READ_MS = 1_000;

/**
 * Jobs per queue and state, read from Redis now and then: /health and /metrics on the worker's own
 * port ask for fresh ones (falling back to the last read while Redis is away).
 */
export class QueueStats {
  private last: QueueCounts = {};
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly queues: Queue[]) {}

  start(metrics: ServiceMetrics): this {
    metrics.observedGauge(
      'jobs_queue_jobs',
      'Jobs per queue and state (waiting, active, delayed, completed, failed)',
      ['queue', 'state'],
      () => Object.entries(this.last).flatMap(([queue, counts]) => JOB_STATES.map((state) => [{ queue, state }, counts[state]] as const)),
    );
    this.timer = setInterval(() => void this.read().catch(() => undefined), REFRESH_MS);
    this.timer.unref();
    void this.read().catch(() => undefined);
    return this;
  }

  private async read(): Promise<QueueCounts> {
    this.last = await queueCounts(this.queues);
    return this.last;
  }

  /** Fresh counts, or the last ones (marked stale) when Redis does not answer in time. */
  async forHealth(): Promise<{ counts: QueueCounts; stale: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const counts = await Promise.race([
        this.read(),
        new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('timeout')), HEALTH_READ_MS))),
      ]);
      return { counts, stale: false };
    } catch {
      return { counts: this.last, stale: true };
    } finally {
      clearTimeout(timer);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
