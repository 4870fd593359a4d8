import { SpanStatusCode, trace } from '@opentelemetry/api';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { CLIENT_ERROR_CODES, ErrorCode } from './errors.js';
import type { Logger } from './logger.js';

export type ErrorFormatter = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

/**
 * Apollo Server reports every validation-rule error as GRAPHQL_VALIDATION_FAILED, keeping the
 * rule's own error as `originalError`. A rule of ours (an operation limit) that set a client code
 * of its own keeps that code and its extensions.
 */
function ruleExtensions(formatted: GraphQLFormattedError, error: unknown): Record<string, unknown> | undefined {
  if (formatted.extensions?.code !== ErrorCode.GraphQLValidationFailed || !(error instanceof GraphQLError)) return undefined;
  const original = error.originalError;
  if (!(original instanceof GraphQLError) || original === error) return undefined;
  const code = original.extensions.code;
  return typeof code === 'string' && CLIENT_ERROR_CODES.has(code) && code !== String(ErrorCode.GraphQLValidationFailed)
    ? original.extensions
    : undefined;
}

/**
 * An error without a code that its thrower marked as the client's fault with a 4xx status (Apollo
 * Server does so for a persisted query whose hash does not match its text): a BAD_REQUEST.
 */
function isCodelessClientError(formatted: GraphQLFormattedError, error: unknown): boolean {
  if (formatted.extensions?.code !== undefined && formatted.extensions.code !== ErrorCode.Internal) return false;
  const http = (error instanceof GraphQLError ? error.extensions.http : undefined) as { status?: unknown } | undefined;
  return typeof http?.status === 'number' && http.status >= 400 && http.status < 500;
}

/**
 * Turns a failure of something the service depends on (its database unreachable) into the error a
 * client may see, e.g. SERVICE_UNAVAILABLE; returns undefined for anything else. It is given each
 * error in the chain: the GraphQLError, then its originalError, then their `cause`s.
 */
export type FailureTranslator = (error: unknown) => GraphQLError | undefined;

/** The first translation of the error or of an error it wraps (a resolver's error inside a GraphQLError). */
function translateChain(error: unknown, translate: FailureTranslator): GraphQLError | undefined {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const translated = translate(current);
    if (translated) return translated;
    current = current instanceof GraphQLError && current.originalError ? current.originalError : (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Keeps client errors as they are and replaces anything unexpected with a
 * generic message, logging the original server-side (never sent to clients).
 * `options.translate` names failures clients may be told about in general terms (the database is
 * away: retry); their details (host names, driver messages) are logged, not sent.
 */
export function createErrorFormatter(logger: Logger, options: { translate?: FailureTranslator } = {}): ErrorFormatter {
  return (formatted, error) => {
    const translated = options.translate ? translateChain(error, options.translate) : undefined;
    if (translated) {
      logger.warn('request failed on an unavailable dependency', { error, path: formatted.path, code: translated.extensions.code });
      return { message: translated.message, path: formatted.path, locations: formatted.locations, extensions: translated.extensions };
    }
    const fromRule = ruleExtensions(formatted, error);
    const code = isCodelessClientError(formatted, error) ? ErrorCode.BadRequest : (fromRule?.code ?? formatted.extensions?.code);
    if (typeof code === 'string' && CLIENT_ERROR_CODES.has(code)) {
      const {
        stacktrace: _stacktrace,
        http: _http,
        ...extensions
      }: Record<string, unknown> = { ...formatted.extensions, ...fromRule, code };
      return { ...formatted, extensions };
    }
    logger.error('unexpected error', { error, path: formatted.path });
    // The request's span shows the failure too (its kind only: a message may quote personal data).
    const span = trace.getActiveSpan();
    span?.setStatus({ code: SpanStatusCode.ERROR, message: 'unexpected error' });
    const cause = error instanceof GraphQLError && error.originalError ? error.originalError : error;
    span?.setAttribute('error.type', cause instanceof Error ? cause.name : typeof cause);
    return {
      message: 'Internal server error',
      path: formatted.path,
      locations: formatted.locations,
      extensions: { code: ErrorCode.Internal },
    };
  };
}
