import { Queue } from 'bullmq';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, type Logger } from '@supergraph/runtime';
import { JITTERED_BACKOFF } from './backoff.js';
import type { JobsConfig } from './config.js';
import { bullPrefix, QUEUE_NAMES, type QueueName } from './queues.js';

/** How long one enqueue may take before it counts as failed (the caller retries it). */
export const ENQUEUE_TIMEOUT_MS = 2_000;

export interface EnqueueOptions {
  /**
   * False: the job is removed as soon as it completes instead of being kept (for a job whose data is
   * a secret, such as a login code; its id must then be one nobody enqueues twice).
   */
  keepCompleted?: boolean;
}

/** Adds jobs to the queues; what services hold to hand work to the worker. */
export interface JobQueues {
  /**
   * Adds a job unless one with this id is still kept (waiting, running, retrying, completed or
   * failed): the same id twice is the same work once. Rejects when Redis cannot take it now, so the
   * caller (the outbox relay, a request) can retry or tell the client.
   */
  enqueue<T extends object>(queue: QueueName, name: string, id: string, data: T, options?: EnqueueOptions): Promise<void>;
  /** The BullMQ queues, for counts and the dashboard. */
  queues(): Queue[];
  close(): Promise<void>;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The producer side on Redis. Its client fails fast (no offline queue, short command timeout): an
 * enqueue while Redis is away fails at once instead of waiting for a reconnect.
 */
export function createJobQueues(options: {
  redisUrl: string;
  redisPrefix: string;
  logger: Logger;
  config: JobsConfig;
  name: string;
}): JobQueues {
  const { config } = options;
  const connection = createRedisClient(options.redisUrl, options.logger, `${options.name}-jobs`, { ...FAIL_FAST_REDIS_OPTIONS });
  const byName = new Map<QueueName, Queue>(
    QUEUE_NAMES.map((name) => [
      name,
      new Queue(name, {
        connection,
        prefix: bullPrefix(options.redisPrefix),
        defaultJobOptions: {
          attempts: config.attempts,
          backoff: { type: JITTERED_BACKOFF },
          removeOnComplete: { age: config.keepCompletedSeconds },
          removeOnFail: { age: config.keepFailedSeconds },
        },
      }),
    ]),
  );
  for (const queue of byName.values()) {
    // BullMQ reports connection trouble here too; the client already logs outages once.
    queue.on('error', () => undefined);
  }
  return {
    async enqueue(queueName, name, id, data, enqueueOptions = {}) {
      const queue = byName.get(queueName);
      if (!queue) throw new Error(`no queue named ${queueName}`);
      const keep = enqueueOptions.keepCompleted === false ? { removeOnComplete: true } : {};
      await withTimeout(queue.add(name, data, { jobId: id, ...keep }), ENQUEUE_TIMEOUT_MS, `enqueueing ${queueName} job`);
    },
    queues: () => [...byName.values()],
    async close() {
      await Promise.all([...byName.values()].map((queue) => queue.close().catch(() => undefined)));
      connection.disconnect();
    },
  };
}
