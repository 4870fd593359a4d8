import type { Job, SmsJob } from '@supergraph/jobs';
import type { SentMarks } from './sent-marks.js';
import type { SmsTransport } from './sms-transport.js';

/** Counts of what the SMS queue did, for /metrics. */
export interface SmsStats {
  sent: Map<string, number>;
  skipped: number;
}

/**
 * Sends one message job: once per job id (the idempotency key), whatever happens to the worker.
 * A failure rejects, and BullMQ retries the job with backoff until its attempts are spent.
 */
export function smsProcessor(transport: SmsTransport, marks: SentMarks, stats: SmsStats) {
  return async (job: Job<SmsJob>): Promise<void> => {
    const key = job.id;
    if (!key) throw new Error('an SMS job needs an id: it is the idempotency key');
    if (await marks.has(key)) {
      stats.skipped++;
      return;
    }
    await transport.send({ to: job.data.to, message: job.data.message, idempotencyKey: key });
    await marks.mark(key);
    stats.sent.set(job.name, (stats.sent.get(job.name) ?? 0) + 1);
  };
}
