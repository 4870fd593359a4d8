import type { GraphQLFormattedError } from 'graphql';
import { createErrorFormatter, ErrorCode, type Logger } from '@supergraph/runtime';

// graphql-js reports a wrong literal argument (unknown enum value, a number too
// large for Int, a missing required input field) as a validation failure. To a
// client that is bad input in a named argument, so it gets BAD_USER_INPUT.
const BAD_VALUE_MESSAGES = [
  /cannot represent/i,
  /does not exist in ".+" enum/i,
  /^Expected value of type/i,
  /of required type .+ was not provided/i,
  /is not defined by type/i,
];

export function createGatewayErrorFormatter(logger: Logger) {
  const base = createErrorFormatter(logger);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const result = base(formatted, error);
    if (result.extensions?.code === ErrorCode.GraphQLValidationFailed && BAD_VALUE_MESSAGES.some((re) => re.test(result.message))) {
      return { ...result, extensions: { ...result.extensions, code: ErrorCode.BadUserInput } };
    }
    return result;
  };
}
