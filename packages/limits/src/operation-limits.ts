import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  GraphQLError,
  Lexer,
  Source,
  TokenKind,
  getOperationAST,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values.js';
import type { OperationLimits } from './config.js';
import { operationCost } from './cost.js';
import { limitError } from './limit-error.js';
import { operationLimitRules } from './rules.js';

/** Tokens in a document, counting only up to `stopAfter` (a huge document is not lexed to its end). */
function countTokens(source: string, stopAfter: number): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (lexer.advance().kind !== TokenKind.EOF && count <= stopAfter) count++;
  } catch {
    // A lexical error is the parser's to report, with its position.
  }
  return count;
}

/**
 * The operation limits, applied before execution: on the document text (length, tokens), on its
 * structure (depth, aliases, root fields, directives, one credential check) and on its estimated
 * cost with the request's variables. The same object serves Apollo Server (rules and a plugin)
 * and code that runs operations itself (the gateway's subscriptions).
 */
export function createOperationLimits(limits: OperationLimits) {
  const validationRules: ValidationRule[] = operationLimitRules(limits);

  /** The text checks: run before the document is parsed, so an oversized one costs no parsing. */
  const checkSource = (source: string): GraphQLError | null => {
    if (source.length > limits.maxDocumentLength) {
      return limitError(
        'documentLength',
        limits.maxDocumentLength,
        `Document length limit of ${limits.maxDocumentLength} characters exceeded, found ${source.length}.`,
      );
    }
    const tokens = countTokens(source, limits.maxTokens);
    if (tokens > limits.maxTokens) return limitError('tokens', limits.maxTokens, `Token limit of ${limits.maxTokens} exceeded.`);
    return null;
  };

  const checkCost = (
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Record<string, unknown> | undefined,
    operationName: string | undefined,
  ) => {
    // Variables that do not fit the operation cannot be priced; execution refuses them next, with
    // the BAD_USER_INPUT error that names the variable.
    const operation = getOperationAST(document, operationName);
    if (!operation || getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}).errors) return null;
    let cost: number;
    try {
      cost = operationCost(schema, document, variables, operationName);
    } catch {
      // Anything else that stops the estimate (a document that expands past the estimator's node
      // limit through fragments, say) is refused: the limit fails closed.
      return limitError('cost', limits.maxCost, `Cost limit of ${limits.maxCost}: this operation is too large to estimate.`);
    }
    return cost > limits.maxCost
      ? limitError('cost', limits.maxCost, `Cost limit of ${limits.maxCost} exceeded: this operation is estimated at ${cost}.`)
      : null;
  };

  // Apollo Server turns an error thrown before parsing into a 500, so the text checks run in the
  // HTTP handler (`checkSource`, given to createGraphQLHandler) and this plugin checks the cost.
  const apolloPlugin: ApolloServerPlugin<BaseContext> = {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, request, operationName }) {
          const error = checkCost(schema, document, request.variables, operationName ?? undefined);
          if (error) throw error;
        },
      };
    },
  };

  return {
    limits,
    /** For Apollo Server's `validationRules`. */
    validationRules,
    /** For Apollo Server's `plugins`: the cost check, with the request's variables. */
    apolloPlugin,
    /** The text checks, before anything parses the document; null when it may be parsed. */
    checkSource,
    /** For an operation run outside Apollo Server: the structure and cost checks, after parsing; [] when it may run. */
    checkOperation(
      schema: GraphQLSchema,
      document: DocumentNode,
      variables: Record<string, unknown> | undefined,
      operationName?: string,
    ): GraphQLError[] {
      const ruleErrors = validate(schema, document, validationRules);
      if (ruleErrors.length) return [...ruleErrors];
      const costError = checkCost(schema, document, variables, operationName);
      return costError ? [costError] : [];
    },
  };
}

export type OperationLimiter = ReturnType<typeof createOperationLimits>;
