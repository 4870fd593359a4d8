import { GraphQLError } from 'graphql';
import { ConfigError } from './config.js';

// For tests only (exported as @supergraph/runtime/testing, not from the main entry).

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  throw new Error(`expected a GraphQLError, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
}

/** Runs fn, which must throw a GraphQLError, and returns that error. */
export function thrownGraphQLError(fn: () => unknown): GraphQLError {
  try {
    fn();
  } catch (error) {
    return asGraphQLError(error);
  }
  throw new Error('expected the call to throw');
}

/** Awaits promise, which must reject with a GraphQLError, and returns that error. */
export async function rejectedGraphQLError(promise: Promise<unknown>): Promise<GraphQLError> {
  try {
    await promise;
  } catch (error) {
    return asGraphQLError(error);
  }
  throw new Error('expected the call to fail');
}

/** Runs fn, which must throw a ConfigError, and returns that error's message. */
export function configErrorMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError && error.name === 'ConfigError') return error.message;
    throw new Error('expected a ConfigError', { cause: error });
  }
  throw new Error('expected the call to throw a ConfigError');
}
