import { GraphQLError, Kind, type ASTNode } from 'graphql';
import { createErrorFormatter, ErrorCode, type ErrorFormatter, type Logger } from '@supergraph/runtime';

/** The literal value kinds graphql-js's ValuesOfCorrectTypeRule reports a wrong argument value on. */
const VALUE_KINDS = new Set<string>([
  Kind.INT,
  Kind.FLOAT,
  Kind.STRING,
  Kind.BOOLEAN,
  Kind.NULL,
  Kind.ENUM,
  Kind.LIST,
  Kind.OBJECT,
  Kind.OBJECT_FIELD,
]);

/**
 * A validation failure located on a literal value: an unknown enum value, a number too large
 * for Int, a missing or unknown input field. graphql-js reports these through
 * ValuesOfCorrectTypeRule with the offending value node, so the node's kind says which errors
 * they are (other rules point at fields, arguments, variables or names).
 */
function isBadLiteralValue(error: unknown): boolean {
  const node: ASTNode | undefined = error instanceof GraphQLError ? error.nodes?.[0] : undefined;
  return node !== undefined && VALUE_KINDS.has(node.kind);
}

/**
 * The shared formatter, plus one rule: a wrong literal argument is the client's bad input in a
 * named argument, so it gets BAD_USER_INPUT like a wrong variable value does, not
 * GRAPHQL_VALIDATION_FAILED.
 */
export function createGatewayErrorFormatter(logger: Logger): ErrorFormatter {
  const base = createErrorFormatter(logger);
  return (formatted, error) => {
    const result = base(formatted, error);
    if (result.extensions?.code === ErrorCode.GraphQLValidationFailed && isBadLiteralValue(error)) {
      return { ...result, extensions: { ...result.extensions, code: ErrorCode.BadUserInput } };
    }
    return result;
  };
}
