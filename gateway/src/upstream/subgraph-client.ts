import { Agent, Response, fetch } from 'undici';
import type { Logger } from '@supergraph/runtime';
import { CallPolicy, type BreakerState } from './policy.js';
import { SubgraphUnavailableError, networkErrorCode } from './unavailable.js';

export interface SubgraphClientOptions {
  subgraph: string;
  /** Budget for one call, every attempt and the reading of the answer included. */
  timeoutMs: number;
  /** Most keep-alive connections to this subgraph; calls beyond them wait (inside their budget). */
  maxSockets: number;
  retries: number;
  breakerFailures: number;
  breakerOpenMs: number;
  logger?: Logger;
  observer?: UpstreamObserver;
}

/** Told of every call to a subgraph, for metrics. */
export interface UpstreamObserver {
  /** A call ended: its time, every attempt included, and 'ok' or why it failed (timeout, unreachable, status, open). */
  call(subgraph: string, seconds: number, outcome: string): void;
  /** A call is being tried again. */
  retry(subgraph: string): void;
}

/** What RemoteGraphQLDataSource hands its fetcher: a JSON POST. */
export interface UpstreamRequestInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * HTTP to one subgraph: a bounded keep-alive pool (undici's Agent; idle connections are let go of
 * a little before the subgraph's own Keep-Alive timeout, so no request goes out on a connection
 * being closed), one deadline per call, and the subgraph's CallPolicy (breaker, retries). Every
 * failure comes out as SubgraphUnavailableError; an answer that arrives is returned whatever its
 * status below 500, for the data source to read as before.
 */
export class SubgraphClient {
  private readonly agent: Agent;
  private readonly policy: CallPolicy;

  constructor(private readonly options: SubgraphClientOptions) {
    this.agent = new Agent({ connections: options.maxSockets });
    this.policy = new CallPolicy({
      subgraph: options.subgraph,
      retries: options.retries,
      breakerFailures: options.breakerFailures,
      breakerOpenMs: options.breakerOpenMs,
      onStateChange: (state) => {
        const fields = { subgraph: options.subgraph, breaker: state };
        if (state === 'open') options.logger?.warn('subgraph circuit breaker open: failing its calls at once', fields);
        else options.logger?.info(`subgraph circuit breaker ${state}`, fields);
      },
    });
  }

  get breakerState(): BreakerState {
    return this.policy.state;
  }

  /** Sends one request; `retryable` only for queries (a mutation must never run twice). */
  async fetch(url: string, init: UpstreamRequestInit, { retryable }: { retryable: boolean }): Promise<Response> {
    const { subgraph, observer } = this.options;
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const started = performance.now();
    let attempts = 0;
    const attempt = () => {
      if (attempts++ > 0) observer?.retry(subgraph);
      return this.attempt(url, init, deadline);
    };
    try {
      const response = await this.policy.run(attempt, { retryable, signal: deadline });
      observer?.call(subgraph, (performance.now() - started) / 1000, 'ok');
      return response;
    } catch (error) {
      // The breaker can also give up waiting on a probe once the deadline has passed.
      const failure = error instanceof SubgraphUnavailableError || !deadline.aborted ? error : this.timedOut();
      const outcome = failure instanceof SubgraphUnavailableError ? failure.reason.kind : 'error';
      observer?.call(subgraph, (performance.now() - started) / 1000, outcome);
      if (failure instanceof SubgraphUnavailableError && failure.reason.kind !== 'open') {
        this.options.logger?.warn('subgraph call failed', { subgraph, reason: failure.reason, retryable });
      }
      throw failure;
    }
  }

  /** Connections to the subgraph now open, and requests waiting for one. */
  sockets(): { open: number; queued: number } {
    let open = 0;
    let queued = 0;
    // With `connections` set the Agent keeps a Pool per origin; a Client's stats say connected as a flag.
    for (const stats of Object.values(this.agent.stats)) {
      open += Number(stats.connected);
      queued += 'queued' in stats ? stats.queued : stats.pending;
    }
    return { open, queued };
  }

  /** Lets go of the pooled connections (the gateway is stopping). */
  async close(): Promise<void> {
    await this.agent.close();
  }

  private async attempt(url: string, init: UpstreamRequestInit, signal: AbortSignal): Promise<Response> {
    try {
      const response = await fetch(url, { ...init, dispatcher: this.agent, signal });
      if (response.status >= 500) {
        // Discarded, not read: the subgraph's error page is no business of the client's.
        await response.body?.cancel().catch(() => undefined);
        throw new SubgraphUnavailableError(this.options.subgraph, { kind: 'status', status: response.status });
      }
      // Read here, inside the deadline, so a subgraph that sends headers and then stalls is cut off too.
      const body = await response.arrayBuffer();
      return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
    } catch (error) {
      if (error instanceof SubgraphUnavailableError) throw error;
      if (signal.aborted) throw this.timedOut();
      throw new SubgraphUnavailableError(this.options.subgraph, { kind: 'unreachable', code: networkErrorCode(error) ?? 'UNKNOWN' });
    }
  }

  private timedOut(): SubgraphUnavailableError {
    return new SubgraphUnavailableError(this.options.subgraph, { kind: 'timeout', timeoutMs: this.options.timeoutMs });
  }
}
