import { GraphQLError, type ExecutionResult } from 'graphql';
import type { ErrorFormatter } from '@supergraph/runtime';

/**
 * The one place the subscription layer turns errors into what a client sees: through the
 * gateway's error formatter, exactly as Apollo Server does for queries over HTTP.
 */
export function createClientErrorFormatting(formatError: ErrorFormatter) {
  return {
    /** Errors found before anything runs (parse, validation, variables), ready to send. */
    clientErrors: (errors: readonly GraphQLError[]): GraphQLError[] =>
      errors.map((error) => {
        const formatted = formatError(error.toJSON(), error);
        return new GraphQLError(formatted.message, { extensions: formatted.extensions });
      }),
    /**
     * A result's errors formatted for the client, or undefined when it has none. Formatted errors
     * are plain objects, which both transports serialise like GraphQLErrors.
     */
    formatResult: (result: ExecutionResult): ExecutionResult | undefined => {
      if (!result.errors) return undefined;
      const errors = result.errors.map((e) => formatError(e instanceof GraphQLError ? e.toJSON() : e, e));
      return { ...result, errors } as unknown as ExecutionResult;
    },
  };
}

export type ClientErrorFormatting = ReturnType<typeof createClientErrorFormatting>;
