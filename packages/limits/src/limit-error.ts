import { GraphQLError, type ASTNode } from 'graphql';
import { ErrorCode } from '@supergraph/runtime';

/** The names clients see in `extensions.limit`, one per configurable limit (and the per-operation rule). */
export type LimitName = 'depth' | 'aliases' | 'rootFields' | 'directives' | 'tokens' | 'documentLength' | 'cost' | 'authMutations';

/** An operation refused before it ran: HTTP 400, OPERATION_LIMIT, which limit and its value. */
export function limitError(limit: LimitName, max: number, message: string, nodes?: readonly ASTNode[]): GraphQLError {
  return new GraphQLError(message, {
    nodes,
    extensions: { code: ErrorCode.OperationLimit, limit, max, http: { status: 400 } },
  });
}
