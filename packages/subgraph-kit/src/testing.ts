import { randomBytes } from 'node:crypto';

/**
 * For tests only (exported as @supergraph/subgraph-kit/testing, not from the main entry):
 * a MongoDB URI naming a fresh database on the test server `npm test` provides.
 */
export function testDatabaseUri(label: string): string {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set; run the tests with `npm test`');
  const url = new URL(base);
  url.pathname = `/unit_${label}_${randomBytes(4).toString('hex')}`;
  return url.toString();
}
