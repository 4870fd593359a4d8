import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { GraphQLError, parse, print } from 'graphql';
import { ErrorCode, type RequestedOperation } from '@supergraph/runtime';
import { hashOfKey } from './apq-key.js';
import { operationId, type PersistedOperation } from './manifest.js';

/** The text graphql-js prints for a document: the same for two texts that differ only in spacing and comments. */
function normalized(query: string): string | undefined {
  try {
    return print(parse(query));
  } catch {
    return undefined;
  }
}

export function notInListError(): GraphQLError {
  return new GraphQLError(
    'This gateway serves registered operations only (PERSISTED_QUERIES=safelist) and this one is not in its manifest: ' +
      "add it to the client's operations, run `npm run persisted:register`, deploy the new manifest, and send the " +
      "operation's id as extensions.persistedQuery.sha256Hash (or its registered document)",
    { extensions: { code: ErrorCode.PersistedQueryNotInList, http: { status: 400 } } },
  );
}

/**
 * The operations a manifest registers (PERSISTED_QUERIES=safelist): found by id, or by their text.
 * A document sent in full is accepted when it is a registered body exactly, or prints the same as
 * one (the gateway's own WebSocket path re-prints documents before running them).
 */
export class Safelist {
  private readonly byId: Map<string, string>;
  private readonly printed: Set<string>;

  constructor(operations: PersistedOperation[]) {
    this.byId = new Map(operations.map((operation) => [operation.id, operation.body]));
    this.printed = new Set(operations.flatMap((operation) => normalized(operation.body) ?? []));
  }

  /** Whether a request (its document, or only a persisted query hash) names a registered operation. */
  allows({ query, persistedQueryHash }: RequestedOperation): boolean {
    if (query === undefined) return persistedQueryHash !== undefined && this.byId.has(persistedQueryHash);
    if (this.byId.has(operationId(query))) return true;
    const text = normalized(query);
    return text !== undefined && this.printed.has(text);
  }

  /**
   * The HTTP check, before Apollo Server runs (createGraphQLHandler's checkOperation): an unknown id
   * gets PERSISTED_QUERY_NOT_IN_LIST there, rather than the PERSISTED_QUERY_NOT_FOUND Apollo Server
   * would answer, which invites the client to send its document, to no avail. A request with
   * neither document nor hash is left to Apollo Server's own BAD_REQUEST.
   */
  check(operation: RequestedOperation): GraphQLError | null {
    if (operation.query === undefined && operation.persistedQueryHash === undefined) return null;
    return this.allows(operation) ? null : notInListError();
  }

  /**
   * The store Apollo Server looks hashes up in: the manifest, read-only. Clients cannot register
   * documents here (set does nothing).
   */
  documentStore() {
    return {
      get: async (key: string): Promise<string | undefined> => this.byId.get(hashOfKey(key) ?? ''),
      set: async (): Promise<void> => {},
      delete: async (): Promise<boolean> => false,
    };
  }
}

/**
 * The same rule for every operation Apollo Server runs, whichever way it came: operations sent over
 * the gateway's WebSocket reach Apollo Server without passing createGraphQLHandler.
 */
export function safelistPlugin<TContext extends BaseContext>(safelist: Safelist): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ source }) {
          if (!safelist.allows({ query: source })) throw notInListError();
        },
      };
    },
  };
}
