import { describe, expect, it } from 'vitest';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { createErrorFormatter, createLogger } from './index.js';

function setup() {
  const lines: string[] = [];
  const format = createErrorFormatter(createLogger('unit', 'debug', (line) => lines.push(line)));
  return { format, lines };
}

const CLIENT_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'OUT_OF_STOCK',
  'CONFLICT',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'SERVICE_UNAVAILABLE',
  'SUBGRAPH_UNAVAILABLE',
  'SLOW_CONSUMER',
  'LIMIT_REACHED',
];

describe('createErrorFormatter', () => {
  it.each(CLIENT_CODES)('keeps a %s error as it is, minus the stack trace', (code) => {
    const { format, lines } = setup();
    const formatted: GraphQLFormattedError = {
      message: 'productId: not found',
      path: ['product'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code, field: 'productId', stacktrace: ['Error: x', '    at secret/path.ts:1:1'] },
    };
    const result = format(formatted, new GraphQLError(formatted.message));
    expect(result).toEqual({
      message: 'productId: not found',
      path: ['product'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code, field: 'productId' },
    });
    expect(lines).toEqual([]);
  });

  it('masks an unexpected error with a generic message and INTERNAL_SERVER_ERROR, keeping the path', () => {
    const { format, lines } = setup();
    const original = new Error('E11000 duplicate key collection: shop.users at /srv/app/dist/model.js');
    const result = format(
      {
        message: original.message,
        path: ['signUp'],
        locations: [{ line: 2, column: 5 }],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at /srv/app/dist/model.js'], exception: { detail: 'x' } },
      },
      original,
    );
    expect(result).toEqual({
      message: 'Internal server error',
      path: ['signUp'],
      locations: [{ line: 2, column: 5 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(JSON.stringify(result)).not.toContain('E11000');
    // The original goes to the server log instead.
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({ level: 'error', msg: 'unexpected error', path: ['signUp'] });
    expect(entry.error.message).toContain('E11000');
  });

  it('answers an error without a code that its thrower marked 4xx (a persisted-query hash mismatch) as BAD_REQUEST, logging nothing', () => {
    const { format, lines } = setup();
    const error = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400, headers: new Map() } } });
    const formatted = format({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(formatted).toEqual({ message: 'provided sha does not match query', extensions: { code: 'BAD_REQUEST' } });
    expect(lines).toEqual([]);
    // A 5xx without a code is still masked.
    const server = new GraphQLError('upstream broke', { extensions: { http: { status: 502 } } });
    expect(format({ message: server.message }, server).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('masks errors without a code, with an unknown code, or with a non-string code', () => {
    const { format } = setup();
    for (const extensions of [undefined, {}, { code: 'DOWNSTREAM_SERVICE_ERROR' }, { code: 42 }, { code: 'bad_user_input' }]) {
      const result = format({ message: 'leaky detail', extensions }, new Error('leaky detail'));
      expect(result.message).toBe('Internal server error');
      expect(result.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    }
  });

  describe('with a translator for failures of a dependency', () => {
    class OutageError extends Error {}
    const translate = (error: unknown) =>
      error instanceof OutageError
        ? new GraphQLError('the orders database is unavailable; retry shortly', { extensions: { code: 'SERVICE_UNAVAILABLE' } })
        : undefined;

    it("answers the resolver's error inside a GraphQLError with the translation, logging the detail instead", () => {
      const lines: string[] = [];
      const format = createErrorFormatter(
        createLogger('unit', 'debug', (line) => lines.push(line)),
        { translate },
      );
      const original = new OutageError('connect ECONNREFUSED 10.0.0.7:27017');
      const error = new GraphQLError(original.message, { path: ['placeOrder'], originalError: original });
      const result = format({ message: error.message, path: ['placeOrder'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
      expect(result).toEqual({
        message: 'the orders database is unavailable; retry shortly',
        path: ['placeOrder'],
        locations: undefined,
        extensions: { code: 'SERVICE_UNAVAILABLE' },
      });
      expect(JSON.stringify(result)).not.toContain('10.0.0.7');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0])).toMatchObject({
        level: 'warn',
        code: 'SERVICE_UNAVAILABLE',
        error: { message: expect.stringContaining('10.0.0.7') },
      });
    });

    it('finds the failure behind a cause, and leaves other errors to the usual rules', () => {
      const { lines } = setup();
      const format = createErrorFormatter(
        createLogger('unit', 'debug', (line) => lines.push(line)),
        { translate },
      );
      const wrapped = new Error('loading failed', { cause: new OutageError('pool cleared') });
      expect(format({ message: 'loading failed' }, wrapped).extensions?.code).toBe('SERVICE_UNAVAILABLE');
      expect(format({ message: 'boom' }, new Error('boom')).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      const notFound = { message: 'product x was not found', extensions: { code: 'NOT_FOUND' } };
      expect(format(notFound, new GraphQLError(notFound.message, { extensions: notFound.extensions }))).toEqual(notFound);
    });
  });
});
