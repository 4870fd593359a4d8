/**
 * Why a subgraph could not serve a fetch. `transient` failures (a refused or reset connection, a
 * 502/503 from a proxy or a restarting instance) may well succeed at once on another try; a
 * timeout may not, and retrying it would spend a budget that is already spent.
 */
export type UnavailableReason =
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'unreachable'; code: string }
  | { kind: 'status'; status: number }
  | { kind: 'open'; openMs: number };

/** Connection failures where a second attempt may reach a live instance (restart, load balancer). */
const TRANSIENT_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
/** Statuses a proxy or a restarting instance answers with; retrying a query is safe and often succeeds. */
const TRANSIENT_STATUSES = new Set([502, 503]);

/**
 * A subgraph that did not answer usefully: it timed out, could not be reached, answered 5xx, or
 * its circuit breaker is open. Its message names the subgraph and what happened, never a URL or
 * anything from the subgraph's own answer, since it goes to the client as SUBGRAPH_UNAVAILABLE.
 */
export class SubgraphUnavailableError extends Error {
  constructor(
    readonly subgraph: string,
    readonly reason: UnavailableReason,
  ) {
    super(`The ${subgraph} service is unavailable: ${describe(reason)}`);
    this.name = 'SubgraphUnavailableError';
  }

  /** Whether a query may be sent again at once (see TRANSIENT_*). */
  get transient(): boolean {
    const { reason } = this;
    if (reason.kind === 'unreachable') return TRANSIENT_CONNECTION_CODES.has(reason.code);
    if (reason.kind === 'status') return TRANSIENT_STATUSES.has(reason.status);
    return false;
  }
}

function describe(reason: UnavailableReason): string {
  switch (reason.kind) {
    case 'timeout':
      return `it did not answer within ${reason.timeoutMs} ms`;
    case 'unreachable':
      return 'it could not be reached';
    case 'status':
      return `it answered HTTP ${reason.status}`;
    case 'open':
      return `it failed repeatedly, so it is not called for up to ${Math.ceil(reason.openMs / 1000)} s before being tried again`;
  }
}

/**
 * The network error code of a failed fetch: undici rejects with TypeError("fetch failed") and
 * puts the socket's error (ECONNREFUSED, UND_ERR_SOCKET, …) in `cause`, sometimes one level deeper.
 */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
