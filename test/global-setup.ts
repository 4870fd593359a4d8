import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { findLeaks, TEST_PASSWORDS } from './log-leaks.js';

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    subgraphUrls: { users: string; catalog: string; orders: string };
    admin: { email: string; password: string };
    mongodbUri: string;
    /** Every service's log lines of this run (SERVICE_LOG_FILE), or '' when not collected. */
    serviceLogFile: string;
  }
}

/** Starts the real stack once for the integration tests: three subgraph processes and the gateway. */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set: run the tests with `npm test`, which provides the database');
  const mongodbUri = withDatabase(base, `e2e_${Date.now()}`);
  const admin = { email: 'e2e-admin@test.bharatmart.in', password: randomBytes(12).toString('base64url') };
  const stack = await startStack(
    {
      NODE_ENV: 'test',
      MONGODB_URI: mongodbUri,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      // Bursts like 50 orders for one product at once queue behind the local database, which runs one
      // write at a time on two shared cores: the functional tests must not depend on how long that
      // takes. (Catalog timeouts and their retries are tested with stacks of their own.)
      ORDERS_CATALOG_TIMEOUT_MS: '5000',
    },
    {
      onLine: (name: string, line: string) =>
        (process.env.E2E_VERBOSE || /"level":"(error|warn)"/.test(line)) && console.log(`[${name}] ${line}`),
    },
  );
  project.provide('gatewayUrl', stack.gateway.url);
  project.provide('subgraphUrls', { users: stack.users.url, catalog: stack.catalog.url, orders: stack.orders.url });
  project.provide('admin', admin);
  project.provide('mongodbUri', mongodbUri);
  const serviceLogFile = process.env.SERVICE_LOG_FILE ?? '';
  project.provide('serviceLogFile', serviceLogFile);
  return async () => {
    await stack.stop();
    // The whole run's logs, every test's services included: no personal data or secret in any line.
    if (!serviceLogFile) return;
    const leaks = findLeaks(serviceLogFile, [...TEST_PASSWORDS, admin.password]);
    if (leaks.length > 0) {
      throw new Error(
        `${leaks.length} service log lines hold personal data or secrets, e.g.:\n${leaks
          .slice(0, 5)
          .map((leak) => `${leak.what}: ${leak.line}`)
          .join('\n')}`,
      );
    }
  };
}
