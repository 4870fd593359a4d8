import { readWholeNumber, type Env } from '@supergraph/runtime';
import type { BackoffPolicy } from './backoff.js';

/** How jobs are retried and kept, and how the worker notices a worker that died. */
export interface JobsConfig {
  /** Tries per job before it moves to the failed set (JOBS_ATTEMPTS). */
  attempts: number;
  /** First retry after about JOBS_BACKOFF_MS, doubling up to JOBS_BACKOFF_MAX_MS, with jitter. */
  backoff: BackoffPolicy;
  /**
   * Completed jobs are kept this long (JOBS_KEEP_COMPLETED_SECONDS): while a job is kept, enqueueing
   * it again (an outbox entry relayed twice) is a no-op.
   */
  keepCompletedSeconds: number;
  /** Failed jobs stay visible, and retryable, this long (JOBS_KEEP_FAILED_SECONDS). */
  keepFailedSeconds: number;
  /**
   * A job's lock lasts JOBS_LOCK_MS and is renewed while its worker lives; the queue looks for jobs
   * whose lock lapsed (a killed worker) every JOBS_STALLED_INTERVAL_MS and runs them again.
   */
  lockMs: number;
  stalledIntervalMs: number;
  /** Jobs of each queue one worker process runs at a time (JOBS_CONCURRENCY). */
  concurrency: number;
  /**
   * Invoice and credit-note jobs one worker process runs at a time (JOBS_INVOICE_CONCURRENCY, 1).
   * Each renders a PDF and makes a dozen database writes; during a burst of confirmations several at
   * once take the database from checkouts (measured: `npm run bench`'s jobs-burst phase), while an
   * invoice may come a few minutes later.
   */
  invoiceConcurrency: number;
}

export function readJobsConfig(env: Env): JobsConfig {
  const backoff = {
    baseMs: readWholeNumber(env, 'JOBS_BACKOFF_MS', 2_000, 1, 3_600_000),
    maxMs: readWholeNumber(env, 'JOBS_BACKOFF_MAX_MS', 5 * 60_000, 1, 24 * 3_600_000),
  };
  return {
    attempts: readWholeNumber(env, 'JOBS_ATTEMPTS', 8, 1, 100),
    backoff: { ...backoff, maxMs: Math.max(backoff.maxMs, backoff.baseMs) },
    keepCompletedSeconds: readWholeNumber(env, 'JOBS_KEEP_COMPLETED_SECONDS', 24 * 3_600, 60, 30 * 24 * 3_600),
    keepFailedSeconds: readWholeNumber(env, 'JOBS_KEEP_FAILED_SECONDS', 7 * 24 * 3_600, 60, 90 * 24 * 3_600),
    lockMs: readWholeNumber(env, 'JOBS_LOCK_MS', 30_000, 500, 600_000),
    stalledIntervalMs: readWholeNumber(env, 'JOBS_STALLED_INTERVAL_MS', 30_000, 200, 600_000),
    concurrency: readWholeNumber(env, 'JOBS_CONCURRENCY', 4, 1, 100),
    invoiceConcurrency: readWholeNumber(env, 'JOBS_INVOICE_CONCURRENCY', 1, 1, 100),
  };
}
