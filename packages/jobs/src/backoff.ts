/** How retries are spaced: exponential from `baseMs`, capped at `maxMs`, with jitter. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The name jobs give their backoff type; the worker resolves it with `backoffDelay`. */
export const JITTERED_BACKOFF = 'jittered-exponential';

/**
 * The wait before retry number `attemptsMade` (1 after the first failure): half of the exponential
 * step is fixed and half random ("equal jitter"), so jobs that failed together (a provider outage)
 * do not all come back at the same moment, and none retries sooner than half its step.
 */
export function backoffDelay(attemptsMade: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exponent = Math.max(0, attemptsMade - 1);
  // 2 ** 40 is far past any cap; bounding the exponent keeps the arithmetic finite.
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 40));
  return Math.round(step / 2 + random() * (step / 2));
}
