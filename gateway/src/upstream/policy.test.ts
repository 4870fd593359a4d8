import { describe, expect, it } from 'vitest';
import { CallPolicy, type BreakerState } from './policy.js';
import { SubgraphUnavailableError, type UnavailableReason } from './unavailable.js';

const refused: UnavailableReason = { kind: 'unreachable', code: 'ECONNREFUSED' };
const timedOut: UnavailableReason = { kind: 'timeout', timeoutMs: 100 };

/** A stand-in for one subgraph attempt that fails with each reason given, then succeeds. */
function attempts(...failures: UnavailableReason[]) {
  const calls = { count: 0 };
  const attempt = async () => {
    const failure = failures[calls.count++];
    if (failure) throw new SubgraphUnavailableError('orders', failure);
    return 'answer';
  };
  return { calls, attempt };
}

const policy = (overrides: Partial<ConstructorParameters<typeof CallPolicy>[0]> = {}) =>
  new CallPolicy({ subgraph: 'orders', retries: 1, breakerFailures: 3, breakerOpenMs: 200, retryDelayMs: 1, ...overrides });
const noDeadline = () => new AbortController().signal;

describe('CallPolicy retries', () => {
  it('retries a query once after a refused connection or a 502/503, and returns the second answer', async () => {
    for (const failure of [refused, { kind: 'status', status: 502 }, { kind: 'status', status: 503 }] as UnavailableReason[]) {
      const { calls, attempt } = attempts(failure);
      await expect(policy().run(attempt, { retryable: true, signal: noDeadline() })).resolves.toBe('answer');
      expect(calls.count).toBe(2);
    }
  });

  it('never retries a call that is not retryable (a mutation)', async () => {
    const { calls, attempt } = attempts(refused);
    await expect(policy().run(attempt, { retryable: false, signal: noDeadline() })).rejects.toThrow(/orders service is unavailable/);
    expect(calls.count).toBe(1);
  });

  it('does not retry a timeout, a 500 or an unknown network failure', async () => {
    for (const failure of [timedOut, { kind: 'status', status: 500 }, { kind: 'unreachable', code: 'ENOTFOUND' }] as UnavailableReason[]) {
      const { calls, attempt } = attempts(failure, failure);
      await expect(policy().run(attempt, { retryable: true, signal: noDeadline() })).rejects.toBeInstanceOf(SubgraphUnavailableError);
      expect(calls.count).toBe(1);
    }
  });

  it('retries at most `retries` times', async () => {
    const { calls, attempt } = attempts(refused, refused, refused, refused);
    await expect(policy({ retries: 2, breakerFailures: 10 }).run(attempt, { retryable: true, signal: noDeadline() })).rejects.toThrow();
    expect(calls.count).toBe(3);
  });

  it('starts no retry once the deadline of the call has passed', async () => {
    const deadline = new AbortController();
    const calls = { count: 0 };
    const attempt = async () => {
      calls.count++;
      deadline.abort();
      throw new SubgraphUnavailableError('orders', refused);
    };
    await expect(policy().run(attempt, { retryable: true, signal: deadline.signal })).rejects.toThrow();
    expect(calls.count).toBe(1);
  });

  it('lets other errors through untouched and unretried', async () => {
    const calls = { count: 0 };
    const bug = new TypeError('not a subgraph failure');
    await expect(
      policy().run(
        async () => {
          calls.count++;
          throw bug;
        },
        { retryable: true, signal: noDeadline() },
      ),
    ).rejects.toBe(bug);
    expect(calls.count).toBe(1);
  });
});

describe('CallPolicy circuit breaker', () => {
  it('opens after the configured consecutive failures, then fails at once without calling, with the same error kind', async () => {
    const states: BreakerState[] = [];
    const breaker = policy({ retries: 0, onStateChange: (state) => states.push(state) });
    const { calls, attempt } = attempts(timedOut, timedOut, timedOut);
    for (let i = 0; i < 3; i++)
      await expect(breaker.run(attempt, { retryable: true, signal: noDeadline() })).rejects.toThrow(/did not answer/);
    expect(breaker.state).toBe('open');
    const refusedFast = breaker.run(attempt, { retryable: true, signal: noDeadline() });
    await expect(refusedFast).rejects.toBeInstanceOf(SubgraphUnavailableError);
    await expect(refusedFast).rejects.toMatchObject({ reason: { kind: 'open' } });
    await expect(refusedFast).rejects.toThrow(/The orders service is unavailable: it failed repeatedly/);
    expect(calls.count).toBe(3);
    expect(states).toEqual(['open']);
  });

  it('lets one probe through after the open time and closes when it succeeds', async () => {
    const states: BreakerState[] = [];
    const breaker = policy({ retries: 0, breakerOpenMs: 100, onStateChange: (state) => states.push(state) });
    const { calls, attempt } = attempts(refused, refused, refused);
    for (let i = 0; i < 3; i++) await expect(breaker.run(attempt, { retryable: false, signal: noDeadline() })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(breaker.run(attempt, { retryable: false, signal: noDeadline() })).resolves.toBe('answer');
    expect(breaker.state).toBe('closed');
    expect(states).toEqual(['open', 'half-open', 'closed']);
    expect(calls.count).toBe(4);
  });

  it('opens again at once when the probe fails', async () => {
    const breaker = policy({ retries: 0, breakerOpenMs: 100 });
    const { calls, attempt } = attempts(refused, refused, refused, refused);
    for (let i = 0; i < 3; i++) await expect(breaker.run(attempt, { retryable: false, signal: noDeadline() })).rejects.toThrow();
    await new Promise((resolve) => setTimeout(resolve, 150));
    await expect(breaker.run(attempt, { retryable: false, signal: noDeadline() })).rejects.toMatchObject({ reason: refused });
    expect(breaker.state).toBe('open');
    await expect(breaker.run(attempt, { retryable: false, signal: noDeadline() })).rejects.toMatchObject({ reason: { kind: 'open' } });
    expect(calls.count).toBe(4);
  });

  it('counts each retry attempt, and a success in between starts the count again', async () => {
    const breaker = policy({ retries: 1, breakerFailures: 3 });
    // Two failed attempts (first try and its retry), then a success: not open.
    const first = attempts(refused);
    await breaker.run(first.attempt, { retryable: true, signal: noDeadline() });
    const second = attempts(refused, refused);
    await expect(breaker.run(second.attempt, { retryable: true, signal: noDeadline() })).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    const third = attempts(refused, refused);
    await expect(breaker.run(third.attempt, { retryable: true, signal: noDeadline() })).rejects.toThrow();
    expect(breaker.state).toBe('open');
  });

  it('does not count errors that are not subgraph failures', async () => {
    const breaker = policy({ retries: 0, breakerFailures: 1 });
    await expect(
      breaker.run(
        async () => {
          throw new Error('a bug');
        },
        { retryable: false, signal: noDeadline() },
      ),
    ).rejects.toThrow('a bug');
    expect(breaker.state).toBe('closed');
  });
});
