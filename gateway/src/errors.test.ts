import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { createLogger } from '@supergraph/runtime';
import { createGatewayErrorFormatter } from './errors.js';

const typeDefs = `
  enum Status { PLACED CONFIRMED SHIPPED }
  input ItemInput { productId: ID!, quantity: Int! }
  type Query {
    orders(status: Status, first: Int): [String!]!
    basket(items: [ItemInput!]!): Int!
    boom: String
  }
`;

const logLines: string[] = [];
let server: ApolloServer;

beforeAll(async () => {
  server = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: {
        orders: () => ['o1'],
        basket: (_: unknown, args: { items: unknown[] }) => args.items.length,
        boom: () => {
          throw new Error('connection to orders-db lost');
        },
      },
    },
    formatError: createGatewayErrorFormatter(createLogger('test', 'error', (line) => logLines.push(line))),
    includeStacktraceInErrorResponses: true,
  });
  await server.start();
});

afterAll(async () => {
  await server.stop();
});

async function errorsOf(query: string, variables?: Record<string, unknown>) {
  const response = await server.executeOperation({ query, variables });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return response.body.singleResult.errors ?? [];
}

describe('createGatewayErrorFormatter', () => {
  it('reports an unknown enum value as BAD_USER_INPUT, keeping the message', async () => {
    const [error] = await errorsOf('{ orders(status: LOST) }');
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(error.message).toContain('LOST');
    expect(error.message).toContain('Status');
  });

  it.each([
    ['a number too large for Int', '{ orders(first: 99999999999) }'],
    ['a string for an Int', '{ orders(first: "ten") }'],
    ['a missing required input field', '{ basket(items: [{ productId: "p1" }]) }'],
    ['an unknown input field', '{ basket(items: [{ productId: "p1", quantity: 1, colour: "red" }]) }'],
  ])('reports %s as BAD_USER_INPUT', async (_label, query) => {
    const errors = await errorsOf(query);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('leaves other validation failures as GRAPHQL_VALIDATION_FAILED', async () => {
    const [unknownField] = await errorsOf('{ ordersz }');
    expect(unknownField.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const [missingArgument] = await errorsOf('{ basket }');
    expect(missingArgument.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('keeps a bad variable value as BAD_USER_INPUT', async () => {
    const [error] = await errorsOf('query($s: Status) { orders(status: $s) }', { s: 'LOST' });
    expect(error.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('leaves parse errors as GRAPHQL_PARSE_FAILED', async () => {
    const [error] = await errorsOf('{ orders(');
    expect(error.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('masks unexpected errors and strips stack traces', async () => {
    logLines.length = 0;
    const [error] = await errorsOf('{ boom }');
    expect(error).toEqual({
      message: 'Internal server error',
      path: ['boom'],
      locations: [{ line: 1, column: 3 }],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    expect(logLines.join('\n')).toContain('connection to orders-db lost');
    const [clientError] = await errorsOf('{ orders(status: LOST) }');
    expect(clientError.extensions).not.toHaveProperty('stacktrace');
  });
});
