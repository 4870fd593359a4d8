import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GraphQLError, type ExecutionArgs } from 'graphql';
import { createErrorFormatter, createLogger } from '@supergraph/runtime';
import { createClientErrorFormatting } from './client-errors.js';
import { SubscriptionPlanner } from './planner.js';
import { createOperationPreparer, type SubscriptionContext } from './prepare.js';

const planner = new SubscriptionPlanner(readFileSync(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8'));
const errors = createClientErrorFormatting(createErrorFormatter(createLogger('test', 'silent')));
const prepare = createOperationPreparer({ planner: () => planner, errors });

function refused(result: ExecutionArgs | GraphQLError[]): GraphQLError[] {
  if (!Array.isArray(result)) throw new Error('expected the operation to be refused');
  return result;
}
function accepted(result: ExecutionArgs | GraphQLError[]): ExecutionArgs {
  if (Array.isArray(result)) throw new Error(`expected execution args, got ${result.map((e) => e.message).join('; ')}`);
  return result;
}
const codes = (result: ExecutionArgs | GraphQLError[]) => refused(result).map((e) => e.extensions.code);

describe('operation preparation', () => {
  it('asks the client to retry while the gateway has no schema yet', () => {
    const early = createOperationPreparer({ planner: () => null, errors });
    expect(codes(early({ query: 'subscription { orderPlaced { id } }' }, undefined))).toEqual(['SERVICE_UNAVAILABLE']);
  });

  it('refuses a request without a document string, and an unparsable document', () => {
    expect(codes(prepare({ query: 42 }, undefined))).toEqual(['BAD_REQUEST']);
    expect(codes(prepare({}, undefined))).toEqual(['BAD_REQUEST']);
    expect(codes(prepare({ query: 'subscription {' }, undefined))).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it('refuses an invalid subscription with the validation error, and a bad variable as BAD_USER_INPUT', () => {
    const invalid = refused(prepare({ query: 'subscription { productUpdated(id: "x") { colour } }' }, undefined));
    expect(invalid[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(invalid[0].message).toMatch(/colour/);
    expect(codes(prepare({ query: 'subscription($id: ID!) { productUpdated(id: $id) { id } }', variables: {} }, undefined))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  it('plans a subscription once, with coerced variables and the caller token in the context', () => {
    const args = accepted(
      prepare({ query: 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', variables: { id: 7 } }, 'Bearer t1'),
    );
    const context = args.contextValue as SubscriptionContext;
    expect(context.authorization).toBe('Bearer t1');
    expect(context.planned?.rootField).toBe('productUpdated');
    expect(context.planned?.primary.serviceName).toBe('catalog');
    // ID coerces numbers to strings, as it does for queries.
    expect(args.variableValues).toEqual({ id: '7' });
  });

  it('refuses what checkOperation refuses (a safelist) before parsing, for subscriptions and queries alike', () => {
    const seen: unknown[] = [];
    const safelisted = createOperationPreparer({
      planner: () => planner,
      errors,
      checkOperation: (operation) => {
        seen.push(operation);
        return operation.query?.includes('stock')
          ? null
          : new GraphQLError('not in the list', { extensions: { code: 'PERSISTED_QUERY_NOT_IN_LIST' } });
      },
    });
    expect(codes(safelisted({ query: 'subscription { productUpdated(id: "1") { name } }' }, undefined))).toEqual([
      'PERSISTED_QUERY_NOT_IN_LIST',
    ]);
    expect(codes(safelisted({ query: '{ products(first: 1) { totalCount } }' }, undefined))).toEqual(['PERSISTED_QUERY_NOT_IN_LIST']);
    accepted(safelisted({ query: 'subscription { productUpdated(id: "1") { stock } }' }, undefined));
    expect(seen).toEqual([
      { query: 'subscription { productUpdated(id: "1") { name } }' },
      { query: '{ products(first: 1) { totalCount } }' },
      { query: 'subscription { productUpdated(id: "1") { stock } }' },
    ]);
  });

  it('passes queries and mutations on unplanned, for Apollo Server to run', () => {
    const args = accepted(prepare({ query: '{ products(first: 1) { totalCount } }', variables: { x: 1 } }, 'Bearer t2'));
    expect(args.contextValue).toEqual({ authorization: 'Bearer t2' });
    expect(args.variableValues).toEqual({ x: 1 });
  });

  it('picks the named operation of several', () => {
    const query = 'subscription A { orderPlaced { id } } subscription B($id: ID!) { productUpdated(id: $id) { id } }';
    const args = accepted(prepare({ query, operationName: 'B', variables: { id: 'p1' } }, undefined));
    expect((args.contextValue as SubscriptionContext).planned?.rootField).toBe('productUpdated');
  });
});

describe('client error formatting', () => {
  it('masks unexpected errors in results and keeps client codes', () => {
    const result = errors.formatResult({
      errors: [new GraphQLError('db exploded'), new GraphQLError('gone', { extensions: { code: 'NOT_FOUND' } })],
    });
    expect(result?.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([
      ['Internal server error', 'INTERNAL_SERVER_ERROR'],
      ['gone', 'NOT_FOUND'],
    ]);
    expect(errors.formatResult({ data: { a: 1 } })).toBeUndefined();
  });
});
