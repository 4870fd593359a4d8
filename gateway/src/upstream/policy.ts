import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import { SubgraphUnavailableError } from './unavailable.js';

export interface CallPolicyOptions {
  subgraph: string;
  /** Extra attempts for a retryable call after a transient failure (0: none). */
  retries: number;
  /** Consecutive failures that open the breaker. */
  breakerFailures: number;
  /** How long the open breaker refuses calls before one probe may go through. */
  breakerOpenMs: number;
  /** Smallest wait before a retry; the actual wait is jittered (decorrelated) so instances do not retry in step. */
  retryDelayMs?: number;
  /** Hears every breaker change: 'open' (failing fast), 'half-open' (one probe), 'closed' (calling again). */
  onStateChange?: (state: BreakerState) => void;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  // Isolation (holding the breaker open by hand) is not used; it fails fast like open.
  [CircuitState.Isolated]: 'open',
};

/**
 * What every call to one subgraph goes through: a circuit breaker (cockatiel) that counts
 * SubgraphUnavailableErrors (timeouts, unreachable, 5xx) and, only for calls marked retryable
 * (queries), a bounded retry of transient failures around it, so each attempt counts toward the
 * breaker and an open breaker is never retried. Any other error (a 4xx, a bug) passes through
 * and counts neither way.
 */
export class CallPolicy {
  private readonly breaker: CircuitBreakerPolicy;
  private readonly retrying: RetryPolicy;

  constructor(private readonly options: CallPolicyOptions) {
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof SubgraphUnavailableError),
      { halfOpenAfter: options.breakerOpenMs, breaker: new ConsecutiveBreaker(options.breakerFailures) },
    );
    this.retrying = retry(
      handleWhen((error) => error instanceof SubgraphUnavailableError && error.transient),
      {
        maxAttempts: options.retries,
        backoff: new ExponentialBackoff({ initialDelay: options.retryDelayMs ?? 50, maxDelay: 500 }),
      },
    );
    if (options.onStateChange) {
      const listener = options.onStateChange;
      this.breaker.onStateChange((state) => listener(STATE_NAMES[state]));
    }
  }

  get state(): BreakerState {
    return STATE_NAMES[this.breaker.state];
  }

  /**
   * Runs `attempt` under the breaker, retrying transient failures when `retryable`. `signal` is the
   * call's deadline: no retry starts once it has fired, so retries never add time beyond it.
   * Rejects with SubgraphUnavailableError (reason 'open' when the breaker refused the call).
   */
  async run<T>(attempt: () => Promise<T>, { retryable, signal }: { retryable: boolean; signal: AbortSignal }): Promise<T> {
    const once = () => this.breaker.execute(attempt, signal);
    try {
      return await (retryable && this.options.retries > 0 ? this.retrying.execute(once, signal) : once());
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new SubgraphUnavailableError(this.options.subgraph, { kind: 'open', openMs: this.options.breakerOpenMs });
      }
      throw error;
    }
  }
}
