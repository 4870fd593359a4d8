import { randomBytes } from 'node:crypto';
import { GraphQLError } from 'graphql';

/**
 * For tests only (exported as @supergraph/shared/testing, not from the main entry):
 * a MongoDB URI naming a fresh database on the test server `npm test` provides.
 */
export function testDatabaseUri(label: string): string {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set; run the tests with `npm test`');
  const url = new URL(base);
  url.pathname = `/unit_${label}_${randomBytes(4).toString('hex')}`;
  return url.toString();
}

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
