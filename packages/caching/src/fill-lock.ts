import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { unlock } from './redis-scripts.js';

/** How often a caller waiting for another instance's fill looks again. */
const POLL_MS = 20;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stampede protection across instances: the first caller to miss a key takes a short lock
 * (SET NX PX) and fills it; the others poll for the value for at most the lock's life and then read
 * the database themselves, so a filler that died or stalled delays them by that bound only.
 */
export class FillLocks {
  constructor(
    private readonly redis: Redis,
    private readonly lockMs: number,
  ) {}

  /** Tries to take the lock of each key; returns the keys taken and the token that frees them. */
  async acquire(lockKeys: string[]): Promise<{ taken: Set<string>; token: string }> {
    const token = randomUUID();
    if (lockKeys.length === 0) return { taken: new Set(), token };
    const pipeline = this.redis.pipeline();
    for (const key of lockKeys) pipeline.set(key, token, 'PX', this.lockMs, 'NX');
    const replies = (await pipeline.exec()) ?? [];
    const taken = new Set<string>();
    replies.forEach(([error, reply], i) => {
      if (error) throw error;
      if (reply === 'OK') taken.add(lockKeys[i]);
    });
    return { taken, token };
  }

  async release(lockKeys: Iterable<string>, token: string): Promise<void> {
    await Promise.all([...lockKeys].map((key) => unlock(this.redis, key, token)));
  }

  /**
   * Polls `read` until it has found every key or the lock's life has passed; returns what it found
   * (the caller reads the rest from the database).
   */
  async waitFor<V>(keys: string[], read: (keys: string[]) => Promise<Map<string, V>>): Promise<Map<string, V>> {
    const found = new Map<string, V>();
    let pending = keys;
    const deadline = Date.now() + this.lockMs;
    while (pending.length > 0 && Date.now() < deadline) {
      await sleep(POLL_MS);
      const got = await read(pending);
      for (const [key, value] of got) found.set(key, value);
      pending = pending.filter((key) => !found.has(key));
    }
    return found;
  }
}
