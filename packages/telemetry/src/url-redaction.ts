// What outgoing calls' spans may say about the URL they called. Only types are imported: tracing.ts
// loads this before the instrumented modules (node:http among them) may be imported.
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Attributes, Span } from '@opentelemetry/api';

/** What stands in for a query string or credentials (OpenTelemetry's own word for it). */
export const REDACTED = 'REDACTED';

/**
 * `url` as a span may show it: scheme, host, port and path. A user name and password, and the whole
 * query string, are replaced by REDACTED (a provider's API key rides in either: SMS_WEBHOOK_URL may
 * be `https://sms.example/send?apikey=…`); the fragment is dropped. Unparseable: REDACTED alone.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return REDACTED;
  }
  const credentials = parsed.username || parsed.password ? `${REDACTED}:${REDACTED}@` : '';
  const query = parsed.search ? `?${REDACTED}` : '';
  return `${parsed.protocol}//${credentials}${parsed.host}${parsed.pathname}${query}`;
}

/**
 * The undici instrumentation's startSpanHook (fetch): its attributes replace the instrumentation's
 * own before the span starts, so `url.full` and `url.query` are never recorded whole.
 */
export function redactedUndiciUrl(request: { origin: string; path: string }): Attributes {
  let url: URL;
  try {
    url = new URL(request.path, request.origin);
  } catch {
    // The instrumentation skips a request whose URL it cannot parse either.
    return {};
  }
  return { 'url.full': redactUrl(url), 'url.query': url.search ? REDACTED : '' };
}

/**
 * The http instrumentation's requestHook: on an outgoing request (node:http, as some libraries
 * still use), replaces `url.full` with its redacted form. Incoming requests are left alone (their
 * query parameters are redacted by name: redactedQueryParams). The URL is rebuilt from the request
 * (the Host header names the host and any port it was sent to); the instrumentation's own already
 * names credentials only as REDACTED but keeps most of the query string.
 */
export function redactOutgoingHttpUrl(span: Span, request: ClientRequest | IncomingMessage): void {
  // Structural, not instanceof: a value import of node:http here would load it before tracing hooks it.
  if (!('getHeader' in request)) return;
  const host = request.getHeader('host') ?? request.host;
  span.setAttribute('url.full', redactUrl(`${request.protocol}//${String(host)}${request.path}`));
}
