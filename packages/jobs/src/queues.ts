/**
 * Every queue, by the name its Redis keys carry. A new kind of background work adds its queue here,
 * a job type beside it, and a processor in the worker.
 */
export const QUEUES = {
  /** Text messages whose text and number are known when enqueued: login codes. */
  sms: 'sms',
  /** Customers told about their orders (the worker looks up how to reach them): status changes. */
  notifications: 'notifications',
  /** Tax invoices and credit notes, rendered as PDFs and stored with the orders subgraph. */
  invoices: 'invoices',
} as const;

export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const QUEUE_NAMES: QueueName[] = Object.values(QUEUES);

/** The states a job moves through, as /health and /metrics count them. */
export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;
export type JobState = (typeof JOB_STATES)[number];

/** BullMQ's key prefix: under the deployment's REDIS_PREFIX, so stacks sharing a Redis keep their jobs apart. */
export const bullPrefix = (redisPrefix: string) => `${redisPrefix}:bull`;
