import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { buildSchema, GraphQLError, parse } from 'graphql';
import type { TransportHandlers } from './transport.js';

/**
 * Transport handlers for unit tests: `subscription { … }` documents stream the given results and
 * complete (or stay open, for a document containing "hold"); a document containing "refuse" is
 * refused with BAD_USER_INPUT. No planner, no subgraphs.
 */
const schema = buildSchema('type Query { ok: Boolean } type Subscription { n: Int, hold: Int }');

export function fakeHandlers(results: ExecutionResult[]): TransportHandlers & { left: number } {
  const state = { left: 0 };
  return {
    get left() {
      return state.left;
    },
    prepare: (request, authorization) => {
      if (typeof request.query !== 'string' || request.query.includes('refuse')) {
        return [new GraphQLError('refused on purpose', { extensions: { code: 'BAD_USER_INPUT' } })];
      }
      return { schema, document: parse(request.query), contextValue: { authorization, hold: request.query.includes('hold') } };
    },
    subscribe: (args: ExecutionArgs) => {
      const queue = [...results];
      const hold = (args.contextValue as { hold?: boolean }).hold;
      const iterator: AsyncIterableIterator<ExecutionResult> = {
        next: () =>
          queue.length
            ? Promise.resolve({ value: queue.shift()!, done: false })
            : hold
              ? new Promise(() => {})
              : Promise.resolve({ value: undefined, done: true }),
        return: () => {
          state.left++;
          return Promise.resolve({ value: undefined, done: true });
        },
        [Symbol.asyncIterator]: () => iterator,
      };
      return iterator;
    },
    execute: () => Promise.resolve({ data: { ok: true } }),
    formatResult: () => undefined,
  };
}
