import type { Redis } from 'ioredis';

/**
 * Remembers which messages went out, by idempotency key, for as long as a job could be run again.
 * A worker killed after the provider took a message but before the job was marked complete runs
 * the job again; the mark makes that run skip the send. (The other window, killed after sending and
 * before marking, is what the idempotency key sent to the provider is for.)
 */
export interface SentMarks {
  has(key: string): Promise<boolean>;
  mark(key: string): Promise<void>;
}

export function createSentMarks(redis: Redis, prefix: string, ttlSeconds: number): SentMarks {
  const name = (key: string) => `${prefix}:sms-sent:${key}`;
  return {
    has: async (key) => (await redis.exists(name(key))) === 1,
    mark: async (key) => {
      await redis.set(name(key), '1', 'EX', ttlSeconds);
    },
  };
}
