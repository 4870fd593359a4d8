import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from './logger.js';

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

export async function pingRedis(client: Redis): Promise<void> {
  const answer = await Promise.race([
    client.ping(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('redis ping timed out')), 2_000).unref()),
  ]);
  if (answer !== 'PONG') throw new Error(`unexpected redis ping answer: ${String(answer)}`);
}
