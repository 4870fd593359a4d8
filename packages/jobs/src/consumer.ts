import { Worker, type Job, type Processor } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '@supergraph/runtime';
import { backoffDelay, JITTERED_BACKOFF } from './backoff.js';
import type { JobsConfig } from './config.js';
import { bullPrefix, type QueueName } from './queues.js';

export { DelayedError, UnrecoverableError, type Job } from 'bullmq';

/**
 * Runs `processor` for the jobs of one queue, `concurrency` at a time (JOBS_CONCURRENCY unless
 * given). The connection must be a blocking-safe client (`maxRetriesPerRequest: null`, as BullMQ
 * requires for workers): it waits for jobs, and while Redis is away it waits for Redis.
 */
export function consumeQueue<T>(
  queue: QueueName,
  processor: Processor<T>,
  options: { connection: Redis; redisPrefix: string; config: JobsConfig; logger: Logger },
  concurrency = options.config.concurrency,
): Worker<T> {
  const { config, logger } = options;
  const worker = new Worker<T>(queue, processor, {
    connection: options.connection,
    prefix: bullPrefix(options.redisPrefix),
    concurrency,
    lockDuration: config.lockMs,
    stalledInterval: config.stalledIntervalMs,
    // A job whose worker died mid-way runs again (its effects are idempotent) rather than failing.
    maxStalledCount: 3,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) =>
        type === JITTERED_BACKOFF ? backoffDelay(attemptsMade, config.backoff) : config.backoff.baseMs,
    },
  });
  worker.on('failed', (job: Job<T> | undefined, error: Error) => {
    if (!job) return;
    // Retries are still due unless the attempts are spent or the error refused them (finishedOn is set then).
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || job.finishedOn !== undefined;
    // The error's message only: a provider's answer or a stack could quote the data (a phone number).
    const fields = { queue, job: job.id, name: job.name, attempt: job.attemptsMade, error: error.message };
    if (final) logger.error('job failed for good; it stays in the failed set, where it can be retried', fields);
    else logger.warn('job failed; it will be retried', fields);
  });
  worker.on('stalled', (id: string) => logger.warn('job stalled (its worker stopped); it runs again', { queue, job: id }));
  worker.on('error', (error: Error) => logger.warn('job worker error', { queue, error: error.message }));
  return worker;
}
