#!/usr/bin/env node
// `npm test`: installs, checks the composed supergraph and generated types, builds, type-checks, lints,
// provisions a fresh local database (unless MONGODB_URI is set) and Redis, then
// runs every unit and integration test.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { build, ensureInstalled, run, runInBackground } from './lib/deps.mjs';
import { ensureLocalDbBinaryInBackground, root, startTemporaryLocalDb } from './lib/localdb.mjs';
import { generateKeySet, keyEnv } from './lib/keys.mjs';
import { ensureRedis } from './lib/redis.mjs';

const log = (msg) => console.log(`[test] ${msg}`);

async function main() {
  // A first build of the local database is mostly module downloads and single-package compiles:
  // it overlaps the install, build and lint instead of following them.
  const localDbBinary = process.env.MONGODB_URI ? undefined : ensureLocalDbBinaryInBackground(log);
  localDbBinary?.ready.catch(() => {}); // awaited below; until then a failure must not end the process unreported
  const cleanups = [async () => localDbBinary?.cancel()];
  try {
    ensureInstalled(log);
    // Generated artifacts must match their sources: the composed supergraph and each subgraph's resolver types.
    run('node', ['scripts/compose.mjs', '--check']);
    run('node', ['scripts/codegen.mjs', '--check']);
    build();
    // After the build: type-aware lint reads the workspace packages' declarations. Type-checking
    // the tests and linting are independent, each on one core.
    await Promise.all([
      runInBackground(join(root, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.test.json']),
      runInBackground('npm', ['run', '--silent', 'lint']),
    ]);

    let mongodbUri = process.env.MONGODB_URI;
    if (!mongodbUri) {
      await localDbBinary.ready;
      const db = await startTemporaryLocalDb('test-db', log);
      cleanups.push(db.stop);
      mongodbUri = db.uri;
      log(`local database at ${mongodbUri}`);
    }
    const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
    const redis = await ensureRedis(redisUrl, log);
    cleanups.push(redis.stop);

    const report = join(tmpdir(), `supergraph-test-report-${process.pid}.json`);
    const serviceLog = join(tmpdir(), `supergraph-service-logs-${process.pid}.jsonl`);
    cleanups.push(async () => rmSync(report, { force: true }));
    cleanups.push(async () => rmSync(serviceLog, { force: true }));
    const result = spawnSync(
      join(root, 'node_modules/.bin/vitest'),
      ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
      {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          NODE_ENV: 'test',
          TEST_MONGODB_URI: mongodbUri,
          // Every service's log lines, checked for personal data and secrets (test/global-setup.ts).
          SERVICE_LOG_FILE: serviceLog,
          REDIS_URL: redisUrl,
          // Each run signs with fresh keys; nothing outlives the run. The tests hold every key (to
          // mint what an attacker could not); each service process gets its own signing key only.
          ...keyEnv(generateKeySet()),
          // Its own channel prefix, so a dev stack on the same Redis and this run never see each other's events.
          REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}`,
          // The whole run comes from one address, far more log-ins and sign-ups than one address may
          // make in 15 minutes; the per-address budgets are tested with a users subgraph of their own.
          RATE_LIMIT_LOGINS_PER_IP: '1000000',
          RATE_LIMIT_SIGNUPS_PER_IP: '1000000',
          RATE_LIMIT_REFRESHES_PER_IP: '1000000',
          RATE_LIMIT_OTP_REQUESTS_PER_IP: '1000000',
          RATE_LIMIT_OTP_VERIFICATIONS_PER_IP: '1000000',
          // Likewise every test's requests: the request budgets are tested with gateways of their own.
          RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP: '100000000',
          RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER: '100000000',
          LIMIT_SOCKETS_PER_IP: '100000',
          LIMIT_SUBSCRIPTIONS_PER_IP: '100000',
        },
      },
    );
    printSummary(report);
    return result.status ?? 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/** One closing line any CI can read: "tests: N passed, N failed". */
function printSummary(reportPath) {
  try {
    const report = JSON.parse(readFileSync(reportPath, 'utf8'));
    const skipped = report.numPendingTests + report.numTodoTests;
    console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  } catch {
    console.log('tests: no report was written (vitest did not finish)');
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[test] ${error.message}`);
    process.exit(1);
  },
);
