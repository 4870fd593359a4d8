import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApolloServer } from '@apollo/server';
import { buildSchema, parse } from 'graphql';
import { createErrorFormatter, createLogger } from '@supergraph/runtime';
import { configErrorMessage } from '@supergraph/runtime/testing';
import { createOperationLimits, DEFAULT_OPERATION_LIMITS, operationCost, readOperationLimits, type OperationLimits } from './index.js';

const typeDefs = `
  type Order { id: ID!, total: Int!, items: [Item!]! }
  type Item { quantity: Int! }
  type OrderConnection { totalCount: Int!, nodes: [Order!]! }
  type User { id: ID!, name: String!, orders(first: Int = 20): OrderConnection! }
  type UserConnection { nodes: [User!]! }
  type AuthPayload { token: String! }
  type Query { users(first: Int = 20): UserConnection!, user(id: ID!): User, me: User }
  type Mutation { logIn(email: String!, password: String!): AuthPayload!, signUp(email: String!): AuthPayload!, ping: Boolean }
`;
const schema = buildSchema(typeDefs);

const small: OperationLimits = {
  maxDepth: 5,
  maxAliases: 2,
  maxRootFields: 3,
  maxDirectives: 2,
  maxTokens: 80,
  maxDocumentLength: 400,
  maxCost: 1_000,
};
let server: ApolloServer;

beforeAll(async () => {
  const limits = createOperationLimits(small);
  const user = { id: 'u1', name: 'Asha', orders: { totalCount: 0, nodes: [] } };
  server = new ApolloServer({
    typeDefs,
    resolvers: {
      Query: { users: () => ({ nodes: [user] }), user: () => user, me: () => user },
      Mutation: { logIn: () => ({ token: 't' }), signUp: () => ({ token: 't' }), ping: () => true },
    },
    validationRules: limits.validationRules,
    plugins: [limits.apolloPlugin],
    formatError: createErrorFormatter(createLogger('test', 'silent')),
  });
  await server.start();
});
afterAll(() => server.stop());

async function run(query: string, variables?: Record<string, unknown>) {
  const response = await server.executeOperation({ query, variables });
  if (response.body.kind !== 'single') throw new Error('expected a single result');
  return { status: response.http.status ?? 200, errors: response.body.singleResult.errors ?? [] };
}

async function refusedBy(query: string, variables?: Record<string, unknown>) {
  const { status, errors } = await run(query, variables);
  expect(errors.length, JSON.stringify(errors)).toBeGreaterThan(0);
  expect(status).toBe(400);
  expect(errors[0].extensions?.code).toBe('OPERATION_LIMIT');
  return errors[0].extensions as { limit: string; max: number };
}

describe('operation limits through Apollo Server', () => {
  it('lets an ordinary operation run', async () => {
    expect((await run('{ users(first: 5) { nodes { name orders(first: 5) { totalCount } } } }')).errors).toEqual([]);
  });

  it.each([
    ['depth', '{ users { nodes { orders { nodes { items { quantity } } } } } }', 5],
    ['aliases', '{ a: me { name } b: me { name } c: me { name } }', 2],
    ['rootFields', '{ me { name } users { nodes { id } } user(id: "1") { id } __typename }', 3],
    ['directives', '{ me { name @include(if: true) id @include(if: true) n: name @skip(if: false) } }', 2],
  ])('refuses an operation over the %s limit, naming it and its value', async (limit, query, max) => {
    expect(await refusedBy(query)).toMatchObject({ limit, max });
  });

  it('prices lists by their page size, with the variables of the request', async () => {
    const query = 'query($n: Int) { users(first: $n) { nodes { orders(first: $n) { nodes { id } } } } }';
    expect((await run(query, { n: 10 })).errors).toEqual([]);
    expect(await refusedBy(query, { n: 40 })).toMatchObject({ limit: 'cost', max: 1_000 });
  });

  it('lets at most one credential-checking mutation run per operation', async () => {
    const two = 'mutation { a: logIn(email: "x", password: "y") { token } b: signUp(email: "z") { token } }';
    expect(await refusedBy(two)).toMatchObject({ limit: 'authMutations', max: 1 });
    expect((await run('mutation { logIn(email: "x", password: "y") { token } ping }')).errors).toEqual([]);
  });
});

describe('cost estimate', () => {
  const cost = (query: string, variables?: Record<string, unknown>) => operationCost(schema, parse(query), variables, undefined);

  it('multiplies what is under a page by the page size: 100 users × 100 orders is over 10,000', () => {
    expect(cost('{ users(first: 100) { nodes { orders(first: 100) { nodes { id } } } } }')).toBeGreaterThan(10_000);
    expect(cost('{ users(first: 100) { nodes { orders(first: 100) { nodes { id } } } } }')).toBeGreaterThan(
      DEFAULT_OPERATION_LIMITS.maxCost,
    );
  });

  it('prices first: null as the default page it is served as', () => {
    expect(cost('{ users(first: null) { nodes { id } } }')).toBe(cost('{ users(first: 20) { nodes { id } } }'));
  });

  it('uses the schema default when first is not given, and never prices a page above 100', () => {
    expect(cost('{ users { nodes { id } } }')).toBe(cost('{ users(first: 20) { nodes { id } } }'));
    expect(cost('{ users(first: 1000) { nodes { id } } }')).toBe(cost('{ users(first: 100) { nodes { id } } }'));
  });
});

describe('checks for operations run outside Apollo Server', () => {
  const limits = createOperationLimits(small);

  it('checks the text before parsing and the structure and cost after', () => {
    expect(limits.checkSource('{ me { name } }')).toBeNull();
    expect(limits.checkSource(`{ me { name } } # ${'x'.repeat(400)}`)?.extensions).toMatchObject({
      code: 'OPERATION_LIMIT',
      limit: 'documentLength',
      max: 400,
    });
    expect(limits.checkSource(`{ ${'me { name } '.repeat(20)} }`)?.extensions).toMatchObject({
      code: 'OPERATION_LIMIT',
      limit: 'tokens',
      max: 80,
    });
    // A lexical error is left for the parser to report with its position.
    expect(limits.checkSource('{ me { name } } "unterminated')).toBeNull();
    expect(limits.checkOperation(schema, parse('{ me { name } }'), {})).toEqual([]);
    const [error] = limits.checkOperation(
      schema,
      parse('query($n: Int) { users(first: $n) { nodes { orders(first: $n) { nodes { id } } } } }'),
      { n: 50 },
    );
    expect(error.extensions).toMatchObject({ code: 'OPERATION_LIMIT', limit: 'cost' });
  });
});

describe('the cost limit fails closed', () => {
  const limits = createOperationLimits({ ...small, maxCost: 100_000, maxTokens: 10_000, maxDocumentLength: 10_000, maxDepth: 50 });

  it('refuses a document that fragments expand past what the estimator will price', () => {
    // Each fragment spreads the one before twice: 2^14 copies of the expensive selection, in a few hundred characters.
    const fragments = Array.from({ length: 14 }, (_, k) => `fragment F${k + 1} on Query { ...F${k} ...F${k} }`).join(' ');
    const query = `{ users(first: 100) { nodes { orders(first: 100) { nodes { id } } } } ...F14 } fragment F0 on Query { __typename } ${fragments}`;
    const [error] = limits.checkOperation(schema, parse(query), {});
    expect(error?.extensions).toMatchObject({ code: 'OPERATION_LIMIT', limit: 'cost' });
  });

  it('leaves variables that do not fit the operation to execution, which names them', () => {
    expect(limits.checkOperation(schema, parse('query($n: Int!) { users(first: $n) { nodes { id } } }'), { n: 'ten' })).toEqual([]);
  });
});

describe('readOperationLimits', () => {
  it('uses the defaults and reads each LIMIT_* variable', () => {
    expect(readOperationLimits({})).toEqual(DEFAULT_OPERATION_LIMITS);
    expect(readOperationLimits({ LIMIT_MAX_DEPTH: '8', LIMIT_MAX_COST: '500' })).toMatchObject({
      maxDepth: 8,
      maxCost: 500,
      maxAliases: 15,
    });
  });

  it.each(['0', '-1', '1.5', 'ten', '99999999999'])('refuses LIMIT_MAX_ALIASES=%s naming the variable', (raw) => {
    expect(configErrorMessage(() => readOperationLimits({ LIMIT_MAX_ALIASES: raw }))).toContain('LIMIT_MAX_ALIASES');
  });
});
