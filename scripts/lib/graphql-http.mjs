// The one way scripts and tests send GraphQL over HTTP, as a client would:
// a JSON POST, optionally with a bearer token.

/**
 * @typedef {{ message: string, path?: (string | number)[], extensions?: Record<string, any> }} GraphQLError
 * @typedef {{ token?: string, headers?: Record<string, string> }} GraphQLRequestOptions
 */
/**
 * @template [T=any]
 * @typedef {{ status: number, data?: T | null, errors?: GraphQLError[] }} GraphQLResult
 */

/**
 * Sends one request and returns the HTTP status with the response's data and errors,
 * whatever they are: callers that test error handling need to see them. A body that is
 * not JSON (a proxy's error page, say) comes back as one error saying so.
 *
 * @template [T=any]
 * @param {string | URL} url
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @param {GraphQLRequestOptions} [options]
 * @returns {Promise<GraphQLResult<T>>}
 */
export async function postGraphQL(url, query, variables = {}, { token, headers } = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    const type = response.headers.get('content-type') ?? 'no content type';
    const message = `expected a GraphQL JSON response, got HTTP ${response.status} (${type}): ${text.slice(0, 200)}`;
    return { status: response.status, errors: [{ message }] };
  }
  return { status: response.status, data: body.data, errors: body.errors };
}

/**
 * Like postGraphQL, but returns only the data, and throws `CODE: message` (one per
 * error, joined by "; ") when errors come back. For callers that expect success.
 *
 * @template [T=any]
 * @param {string | URL} url
 * @param {string} query
 * @param {Record<string, unknown>} [variables]
 * @param {GraphQLRequestOptions} [options]
 * @returns {Promise<T>}
 */
export async function graphqlData(url, query, variables = {}, options = {}) {
  /** @type {GraphQLResult<T>} */
  const { status, data, errors } = await postGraphQL(url, query, variables, options);
  if (errors?.length) {
    // Errors without a code (e.g. a response that was not JSON) are labelled with the HTTP status.
    throw new Error(errors.map((e) => `${e.extensions?.code ?? `HTTP ${status}`}: ${e.message}`).join('; '));
  }
  if (data === undefined || data === null) throw new Error(`HTTP ${status}: the response has neither data nor errors`);
  return data;
}
