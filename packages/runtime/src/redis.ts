import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

/** How long a fail-fast command may wait for Redis's answer before it is given up (a hung or unreachable server). */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;

/**
 * Options for a client whose commands would otherwise hold a request: while Redis is away a command
 * fails at once (no offline queue, no retries), and one sent to a server that stopped answering fails
 * after REDIS_COMMAND_TIMEOUT_MS. Without them ioredis queues and retries a command for tens of seconds.
 * The caller decides what a failure means (a budget falls back to memory, an event stays in the outbox).
 */
export const FAIL_FAST_REDIS_OPTIONS = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
} as const satisfies RedisOptions;

/**
 * A Redis client that reconnects forever with capped backoff and logs outages
 * once (when they start and when they end) instead of once per retry.
 */
export function createRedisClient(url: string, logger: Logger, name: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: name,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    ...options,
  });
  let downSince: number | null = null;
  client.on('error', (error: Error) => {
    if (downSince === null) {
      downSince = Date.now();
      logger.warn('redis unavailable', { client: name, error: error.message });
    }
  });
  client.on('ready', () => {
    if (downSince !== null) {
      logger.info('redis back', { client: name, downForMs: Date.now() - downSince });
      downSince = null;
    }
  });
  return client;
}
