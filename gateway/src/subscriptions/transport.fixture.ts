import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { buildSchema, GraphQLError, parse } from 'graphql';
import { AccessTokenIssuer, createMemoryRevocationList } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { createLogger } from '@supergraph/runtime';
import { createAdmission } from '../admission.js';
import { DEFAULT_CLIENT_LIMITS, type ClientLimits } from '../config.js';
import { createClientGuard } from './client-guard.js';
import type { TransportHandlers } from './transport.js';

/**
 * Transport handlers for unit tests: `subscription { … }` documents stream the given results and
 * complete (or stay open, for a document containing "hold"); a document containing "refuse" is
 * refused with BAD_USER_INPUT. No planner, no subgraphs.
 */
const schema = buildSchema('type Query { ok: Boolean } type Subscription { n: Int, hold: Int }');

/**
 * A real client guard over in-memory stores: revocations in this process, budgets in memory.
 * `issuer` signs access tokens it accepts; `revocations` is where a test revokes them.
 */
export function fakeGuard(limits: Partial<ClientLimits> = {}, options: { deaf?: boolean } = {}) {
  const userKey = testSigningKey('users');
  const heard = createMemoryRevocationList();
  // Deaf: revocations are recorded but never announced, as when a Redis subscriber missed the message.
  const revocations = options.deaf ? { ...heard, onRevocation: () => () => {} } : heard;
  const admission = createAdmission({
    userTokenKeys: publicKeysOf(userKey),
    revocations,
    limits: { ...DEFAULT_CLIENT_LIMITS, ...limits },
    redis: null,
    prefix: 'transport-test',
    logger: createLogger('test', 'silent'),
  });
  return {
    guard: createClientGuard({ admission, revocations, limits: { ...DEFAULT_CLIENT_LIMITS, ...limits } }),
    revocations,
    issuer: (ttlSeconds?: number) => new AccessTokenIssuer(userKey, ttlSeconds),
  };
}

export function fakeHandlers(
  results: ExecutionResult[],
  guard: ReturnType<typeof fakeGuard>['guard'] = fakeGuard().guard,
): TransportHandlers & { left: number } {
  const state = { left: 0 };
  return {
    guard,
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
