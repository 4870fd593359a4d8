import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The header that carries a request's id from the client, between services, and back in the response. */
export const REQUEST_ID_HEADER = 'x-request-id';

// Letters, digits, '.', '_' and '-' only: a client's id ends up in every log line of its request,
// so nothing that could forge a log field, a line break or a header is accepted.
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** What every log line of one request's work carries, wherever in the service it is written. */
export interface RequestScope {
  requestId: string;
  /** The GraphQL operation's name once it is known (set by the request metrics plugin); bounded by the client. */
  operationName?: string;
}

const storage = new AsyncLocalStorage<RequestScope>();

/** The client's request id when it is a valid one, else a new one. */
export function requestIdFrom(headers: IncomingHttpHeaders): string {
  const given = headers[REQUEST_ID_HEADER];
  const value = Array.isArray(given) ? given[0] : given;
  return value !== undefined && VALID_REQUEST_ID.test(value) ? value : randomUUID();
}

/** Runs `work` (and everything it starts, however asynchronous) as part of the request `scope`. */
export function runInRequestScope<T>(scope: RequestScope, work: () => T): T {
  return storage.run(scope, work);
}

/** The scope of the request being served, if any (none in start-up work, timers of their own, sweepers). */
export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Headers that pass the current request's id on to another service. */
export function requestIdHeaders(): Record<string, string> {
  const scope = storage.getStore();
  return scope ? { [REQUEST_ID_HEADER]: scope.requestId } : {};
}
