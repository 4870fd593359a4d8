import { GraphQLError } from 'graphql';

/** Every error code a client can see in `extensions.code`. */
export enum ErrorCode {
  Unauthenticated = 'UNAUTHENTICATED',
  Forbidden = 'FORBIDDEN',
  BadUserInput = 'BAD_USER_INPUT',
  NotFound = 'NOT_FOUND',
  OutOfStock = 'OUT_OF_STOCK',
  Conflict = 'CONFLICT',
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
