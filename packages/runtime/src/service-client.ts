import { appError, PASS_THROUGH_CODES, type ErrorCode } from './errors.js';
import { requestIdHeaders } from './request-scope.js';

export class ServiceCallError extends Error {
  override name = 'ServiceCallError';
}

interface GraphQLResponseBody<T> {
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/**
 * The one place a service calls another over HTTP: POSTs a GraphQL operation
 * with a timeout. Client errors from upstream come back as GraphQLErrors with the
 * same code and message; anything else becomes an ServiceCallError (masked for clients).
 */
export async function callService<T>(
  url: string,
  query: string,
  variables: Record<string, unknown>,
  options: { headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        ...options.headers,
        // The called service's log lines join this request's.
        ...requestIdHeaders(),
        'content-type': 'application/json',
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new ServiceCallError(`request to ${url} failed: ${(error as Error).message}`);
  }
  let body: GraphQLResponseBody<T>;
  try {
    body = (await response.json()) as GraphQLResponseBody<T>;
  } catch {
    throw new ServiceCallError(`${url} answered ${response.status} without a JSON body`);
  }
  const first = body.errors?.[0];
  if (first) {
    const code = first.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH_CODES.has(code)) {
      const { code: _code, ...rest } = first.extensions ?? {};
      throw appError(code as ErrorCode, first.message, rest);
    }
    throw new ServiceCallError(`${url} answered with error ${String(code)}: ${first.message}`);
  }
  if (!body.data) throw new ServiceCallError(`${url} answered ${response.status} with no data`);
  return body.data;
}
