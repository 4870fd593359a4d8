import { GraphQLError, OperationTypeNode, getOperationAST, parse, type DocumentNode, type ExecutionArgs } from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import { ErrorCode, type RequestedOperation } from '@supergraph/runtime';
import type { GatewayContext } from '../context.js';
import type { OperationLimiter } from '@supergraph/limits';
import type { ClientErrorFormatting } from './client-errors.js';
import type { PlannedSubscription, SubscriptionPlanner } from './planner.js';

/** What preparation hands to `subscribe` (or `execute`) through the execution args' context. */
export interface SubscriptionContext extends GatewayContext {
  /** Set for subscriptions: the plan to run for every event. */
  planned?: PlannedSubscription;
  /** Aborted when the client has gone, so the subscription lets go of its upstream stream. */
  signal?: AbortSignal;
}

export interface OperationRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/**
 * Parses, validates and plans one operation for either transport. Returns execution args
 * (with the plan in the context for a subscription) or the errors a client should see.
 * Queries and mutations sent over a stream are not planned here: they run through Apollo Server.
 */
export function createOperationPreparer(options: {
  planner: () => SubscriptionPlanner | null;
  errors: ClientErrorFormatting;
  /** Checked for subscriptions here; queries and mutations get them from Apollo Server. */
  limits?: OperationLimiter;
  /** Whether the operation may run at all (PERSISTED_QUERIES=safelist), as on the HTTP path, before it is parsed. */
  checkOperation?: (operation: RequestedOperation) => GraphQLError | null;
}) {
  const fail = (code: ErrorCode, message: string) => options.errors.clientErrors([new GraphQLError(message, { extensions: { code } })]);

  return (request: OperationRequest, authorization: string | undefined): ExecutionArgs | GraphQLError[] => {
    const planner = options.planner();
    if (!planner) return fail(ErrorCode.ServiceUnavailable, 'The gateway is still loading its schema; retry shortly');
    if (typeof request.query !== 'string') return fail(ErrorCode.BadRequest, 'query: expected a GraphQL document string');
    const tooLarge = options.limits?.checkSource(request.query);
    if (tooLarge) return options.errors.clientErrors([tooLarge]);
    const notAllowed = options.checkOperation?.({ query: request.query });
    if (notAllowed) return options.errors.clientErrors([notAllowed]);
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (error) {
      return fail(ErrorCode.GraphQLParseFailed, (error as Error).message);
    }
    const operationName = typeof request.operationName === 'string' ? request.operationName : undefined;
    const variables = (request.variables ?? {}) as Record<string, unknown>;
    const operation = getOperationAST(document, operationName);
    const base = { schema: planner.schema, document, operationName };
    if (operation?.operation !== OperationTypeNode.SUBSCRIPTION) {
      return { ...base, variableValues: variables, contextValue: { authorization } satisfies SubscriptionContext };
    }
    // Before planning, which is the expensive part; a document too large to parse was refused above.
    const overLimit = options.limits?.checkOperation(planner.schema, document, variables, operationName) ?? [];
    if (overLimit.length) return options.errors.clientErrors(overLimit);
    const planned = planner.plan(document, operationName);
    if (Array.isArray(planned)) return options.errors.clientErrors(planned);
    const coerced = getVariableValues(planner.schema, operation.variableDefinitions ?? [], variables);
    if (coerced.errors) {
      return options.errors.clientErrors(
        coerced.errors.map((e) => new GraphQLError(e.message, { extensions: { code: ErrorCode.BadUserInput } })),
      );
    }
    return { ...base, variableValues: coerced.coerced, contextValue: { authorization, planned } satisfies SubscriptionContext };
  };
}

export type OperationPreparer = ReturnType<typeof createOperationPreparer>;
