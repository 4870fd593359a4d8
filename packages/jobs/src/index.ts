// Background jobs on BullMQ: what producers (subgraphs) and the worker share. See ../README.md.
export * from './backoff.js';
export * from './config.js';
export * from './consumer.js';
export * from './counts.js';
export * from './invoice-job.js';
export * from './job-ids.js';
export * from './order-notice.js';
export * from './producer.js';
export * from './queues.js';
export * from './sms-job.js';
