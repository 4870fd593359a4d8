import { GraphQLError } from 'graphql';

/**
 * Every error code a client can see in `extensions.code`, the only list of them.
 * Codes Apollo Server or graphql-js set themselves are named here too, so nothing
 * compares against a bare string.
 */
export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  OutOfStock = 'OUT_OF_STOCK',
  Conflict = 'CONFLICT',
  /** The request itself is malformed: not JSON, too large, or a subscription without a stream. */
  BadRequest = 'BAD_REQUEST',
  GraphQLParseFailed = 'GRAPHQL_PARSE_FAILED',
  GraphQLValidationFailed = 'GRAPHQL_VALIDATION_FAILED',
  /** Apollo Server: an automatic persisted query hash it does not know (the client resends the document). */
  PersistedQueryNotFound = 'PERSISTED_QUERY_NOT_FOUND',
  /** Apollo Server: persisted queries are switched off. */
  PersistedQueryNotSupported = 'PERSISTED_QUERY_NOT_SUPPORTED',
  /**
   * The gateway serves only the operations its persisted query manifest lists (PERSISTED_QUERIES=safelist)
   * and this one is not among them: register it with `npm run persisted:register` and deploy the manifest.
   */
  PersistedQueryNotInList = 'PERSISTED_QUERY_NOT_IN_LIST',
  /** Apollo Server: the document holds several operations and operationName picks none of them. */
  OperationResolutionFailure = 'OPERATION_RESOLUTION_FAILURE',
  /** The gateway is not ready to serve this yet (e.g. still loading its schema); retry. */
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  /**
   * A subgraph could not serve its part: it timed out, could not be reached, failed, or its circuit
   * breaker is open (the message says which, naming the subgraph). The error sits at the fields it
   * would have filled, which are null; the rest of the response is there. On a subscription: the
   * subgraph ended it for good; subscribe again.
   */
  SubgraphUnavailable = 'SUBGRAPH_UNAVAILABLE',
  /** The operation exceeds a limit checked before execution (depth, cost, …); `extensions.limit` and `max` say which. */
  OperationLimit = 'OPERATION_LIMIT',
  /** Too many requests of this kind for this account or address; `extensions.retryAfterSeconds` says when to retry. */
  RateLimited = 'RATE_LIMITED',
  /** The caller already holds as much of something as one account may (e.g. open orders); `extensions.max` says how much. */
  LimitReached = 'LIMIT_REACHED',
  /** A subscriber fell too far behind and was cut off; subscribe again. */
  SlowConsumer = 'SLOW_CONSUMER',
  Internal = 'INTERNAL_SERVER_ERROR',
}

/** Codes that describe the client's own request or a state it can act on: shown as they are. Everything else is masked. */
export const CLIENT_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode).filter((code) => code !== ErrorCode.Internal));

/**
 * Codes one service may pass on from another as they are, because they describe what the
 * original caller asked for (a bad line, missing stock). Anything else from upstream is a
 * failure of the upstream service and is masked.
 */
export const PASS_THROUGH_CODES: ReadonlySet<string> = new Set([
  ErrorCode.BadUserInput,
  ErrorCode.NotFound,
  ErrorCode.OutOfStock,
  ErrorCode.Conflict,
  ErrorCode.Forbidden,
  // About the original caller's own account (it holds as much as it may), not about the service passing it on.
  ErrorCode.LimitReached,
]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (Object.values(ErrorCode) as string[]).includes(value);
}

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badInput = (field: string, problem: string): GraphQLError =>
  appError(ErrorCode.BadUserInput, `${field}: ${problem}`, { field });

export const notFound = (what: string, id: string): GraphQLError => appError(ErrorCode.NotFound, `${what} ${id} was not found`);

export const unauthenticated = (): GraphQLError =>
  appError(ErrorCode.Unauthenticated, 'You must be logged in: send "Authorization: Bearer <token>" from logIn or signUp');

export const forbidden = (why: string): GraphQLError => appError(ErrorCode.Forbidden, why);

export const conflict = (why: string): GraphQLError => appError(ErrorCode.Conflict, why);

export function errorCodeOf(error: unknown): string | undefined {
  if (error instanceof GraphQLError) return error.extensions?.code as string | undefined;
  return undefined;
}
