import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { ApolloServerErrorCode } from '@apollo/server/errors';
import {
  appError,
  badInput,
  conflict,
  ErrorCode,
  errorCodeOf,
  forbidden,
  isErrorCode,
  CLIENT_ERROR_CODES,
  PASS_THROUGH_CODES,
  notFound,
  unauthenticated,
} from './index.js';

describe('error helpers', () => {
  it('appError puts the code in extensions and keeps other extensions', () => {
    const error = appError(ErrorCode.OutOfStock, 'gone', { productId: 'p1', available: 0 });
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error.message).toBe('gone');
    expect(error.extensions).toEqual({ productId: 'p1', available: 0, code: 'OUT_OF_STOCK' });
  });

  it('appError does not let extensions override the code', () => {
    expect(appError(ErrorCode.NotFound, 'x', { code: 'SOMETHING_ELSE' }).extensions.code).toBe('NOT_FOUND');
  });

  it('badInput names the field in the message and in extensions', () => {
    const error = badInput('email', 'must be an email address');
    expect(error.message).toBe('email: must be an email address');
    expect(error.extensions).toEqual({ field: 'email', code: 'BAD_USER_INPUT' });
  });

  it('the shorthand helpers carry their codes', () => {
    expect(notFound('Product', 'abc').extensions.code).toBe('NOT_FOUND');
    expect(notFound('Product', 'abc').message).toBe('Product abc was not found');
    expect(unauthenticated().extensions.code).toBe('UNAUTHENTICATED');
    expect(forbidden('no').extensions.code).toBe('FORBIDDEN');
    expect(conflict('dup').extensions.code).toBe('CONFLICT');
  });

  it('errorCodeOf reads codes from GraphQLErrors only', () => {
    expect(errorCodeOf(conflict('x'))).toBe('CONFLICT');
    expect(errorCodeOf(new GraphQLError('no code'))).toBeUndefined();
    expect(errorCodeOf(Object.assign(new Error('x'), { extensions: { code: 'CONFLICT' } }))).toBeUndefined();
    expect(errorCodeOf('CONFLICT')).toBeUndefined();
  });

  it('shows LIMIT_REACHED to clients and lets services pass it on: it is about the caller’s own account', () => {
    expect(ErrorCode.LimitReached).toBe('LIMIT_REACHED');
    expect(CLIENT_ERROR_CODES.has(ErrorCode.LimitReached)).toBe(true);
    expect(PASS_THROUGH_CODES.has(ErrorCode.LimitReached)).toBe(true);
    expect(appError(ErrorCode.LimitReached, 'full', { max: 20 }).extensions).toEqual({ max: 20, code: 'LIMIT_REACHED' });
  });

  it("names Apollo Server's own codes exactly as Apollo Server sets them", () => {
    expect(ErrorCode.GraphQLParseFailed).toBe(ApolloServerErrorCode.GRAPHQL_PARSE_FAILED);
    expect(ErrorCode.GraphQLValidationFailed).toBe(ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED);
    expect(ErrorCode.BadUserInput).toBe(ApolloServerErrorCode.BAD_USER_INPUT);
    expect(ErrorCode.BadRequest).toBe(ApolloServerErrorCode.BAD_REQUEST);
    expect(ErrorCode.PersistedQueryNotFound).toBe(ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND);
    expect(ErrorCode.PersistedQueryNotSupported).toBe(ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED);
    expect(ErrorCode.OperationResolutionFailure).toBe(ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE);
    expect(ErrorCode.Internal).toBe(ApolloServerErrorCode.INTERNAL_SERVER_ERROR);
  });

  it('has one list of codes: every client-visible and pass-through code is in the enum, and only internal errors are masked', () => {
    const all = new Set<string>(Object.values(ErrorCode));
    for (const code of CLIENT_ERROR_CODES) expect(all.has(code), code).toBe(true);
    for (const code of PASS_THROUGH_CODES) expect(CLIENT_ERROR_CODES.has(code), code).toBe(true);
    expect(CLIENT_ERROR_CODES.has(ErrorCode.Internal)).toBe(false);
    expect(CLIENT_ERROR_CODES.size).toBe(all.size - 1);
    expect(isErrorCode('OUT_OF_STOCK')).toBe(true);
    expect(isErrorCode('LIMIT_REACHED')).toBe(true);
    expect(isErrorCode('out_of_stock')).toBe(false);
  });
});
