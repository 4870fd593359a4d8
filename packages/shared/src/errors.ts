import { GraphQLError } from 'graphql';

/** Every error code a client can see in `extensions.code`. */
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
  /** The gateway is not ready to serve this yet (e.g. still loading its schema); retry. */
  ServiceUnavailable = 'SERVICE_UNAVAILABLE',
  /** A subgraph ended a subscription for good; subscribe again. */
  SubgraphUnavailable = 'SUBGRAPH_UNAVAILABLE',
  /** A subscriber fell too far behind and was cut off; subscribe again. */
  SlowConsumer = 'SLOW_CONSUMER',
  Internal = 'INTERNAL_SERVER_ERROR',
}

export function appError(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { ...extensions, code } });
}

export const badInput = (field: string, problem: string): GraphQLError =>
  appError(ErrorCode.BadUserInput, `${field}: ${problem}`, { field });

export const notFound = (what: string, id: string): GraphQLError =>
  appError(ErrorCode.NotFound, `${what} ${id} was not found`);

export const unauthenticated = (): GraphQLError =>
  appError(ErrorCode.Unauthenticated, 'You must be logged in: send "Authorization: Bearer <token>" from logIn or signUp');

export const forbidden = (why: string): GraphQLError => appError(ErrorCode.Forbidden, why);

export const conflict = (why: string): GraphQLError => appError(ErrorCode.Conflict, why);

export function errorCodeOf(error: unknown): string | undefined {
  if (error instanceof GraphQLError) return error.extensions?.code as string | undefined;
  return undefined;
}
