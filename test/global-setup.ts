import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startStack } from '../scripts/lib/processes.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { findLeaks, TEST_PASSWORDS } from './log-leaks.js';
import { SmsReceiver } from './sms-receiver.js';

declare module 'vitest' {
  export interface ProvidedContext {
    gatewayUrl: string;
    subgraphUrls: { users: string; catalog: string; orders: string };
    admin: { email: string; password: string };
    mongodbUri: string;
    /** Every service's log lines of this run (SERVICE_LOG_FILE), or '' when not collected. */
    serviceLogFile: string;
    /** The shared stack's job worker (its /health) and the SMS webhook receiver its messages go to (GET /messages?to=). */
    workerUrl: string;
    smsReceiverUrl: string;
  }
}

/** Starts the real stack once for the integration tests: three subgraph processes, the job worker and the gateway. */
export default async function setup(project: TestProject) {
  const base = process.env.TEST_MONGODB_URI;
  if (!base) throw new Error('TEST_MONGODB_URI is not set: run the tests with `npm test`, which provides the database');
  const mongodbUri = withDatabase(base, `e2e_${Date.now()}`);
  const admin = { email: 'e2e-admin@test.bharatmart.in', password: randomBytes(12).toString('base64url') };
  // Tests always send text messages to a receiver of their own, never to the worker's log.
  const sms = await new SmsReceiver().start();
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
      SMS_WEBHOOK_URL: `${sms.url}/sms`,
      // Retries within a test's patience (the backoff itself is tested with a worker of its own).
      JOBS_BACKOFF_MS: '200',
      JOBS_BACKOFF_MAX_MS: '2000',
      // A second login code for a number after 2 s instead of 30 (test/otp-login.e2e.ts).
      OTP_RESEND_SECONDS: '2',
    },
    {
      worker: true,
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
  project.provide('workerUrl', `http://127.0.0.1:${stack.worker.port}`);
  project.provide('smsReceiverUrl', sms.url);
  return async () => {
    await stack.stop();
    await sms.stop();
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
