#!/usr/bin/env node
// `npm start`: installs, provisions the local database and Redis, composes,
// builds, starts the three subgraphs, the job worker and the gateway, seeds demo data on an
// empty database, and prints the Sandbox URL. Ctrl-C stops everything.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, ensureInstalled, run } from './lib/deps.mjs';
import { root, startLocalDb, withDatabase } from './lib/localdb.mjs';
import { developmentKeys, KEY_VARIABLES, keyEnv } from './lib/keys.mjs';
import { ensureRedis } from './lib/redis.mjs';

const log = (msg) => console.log(`[start] ${msg}`);
const cleanups = [];

async function shutdown(code) {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  process.exit(code);
}

async function main() {
  // A local .env (see .env.example) fills in variables the shell did not set.
  if (existsSync(join(root, '.env'))) process.loadEnvFile(join(root, '.env'));
  ensureInstalled(log);
  // Imported after installing: these need the project's dependencies.
  const { startStack } = await import('./lib/processes.mjs');
  const { seedIfEmpty } = await import('./lib/seed.mjs');

  run('node', ['scripts/compose.mjs']);
  build();

  const production = process.env.NODE_ENV === 'production';
  const keyVariables = Object.values(KEY_VARIABLES).flatMap((names) => [names.signing, names.public]);
  if (production && (keyVariables.some((name) => !process.env[name]) || !process.env.MONGODB_URI)) {
    throw new Error(
      `in production, set MONGODB_URI and the keys (${keyVariables.join(', ')}; npm run keys prints a set) yourself; npm start only invents them for local development`,
    );
  }
  let mongodbUri = process.env.MONGODB_URI;
  if (!mongodbUri) {
    log('MONGODB_URI is not set: starting the local database (FerretDB) with its data in .localdb/data');
    const db = await startLocalDb(join(root, '.localdb/data'), log);
    cleanups.push(db.stop);
    mongodbUri = withDatabase(db.uri, 'supergraph');
  }
  const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  const redis = await ensureRedis(redisUrl, log);
  cleanups.push(redis.stop);

  // Documented local-development defaults; production has no default admin.
  const admin = {
    email: process.env.ADMIN_EMAIL || (production ? undefined : 'admin@bharatmart.dev'),
    password: process.env.ADMIN_PASSWORD || (production ? undefined : 'admin-pass-123'),
  };
  const env = {
    NODE_ENV: process.env.NODE_ENV || 'development',
    MONGODB_URI: mongodbUri,
    REDIS_URL: redisUrl,
    // Development keys are made once, kept in .localdb/dev-keys.json (mode 0600); keys set in the environment win.
    ...(production ? {} : keyEnv(developmentKeys(join(root, '.localdb/dev-keys.json')))),
    ...Object.fromEntries(keyVariables.filter((name) => process.env[name]).map((name) => [name, process.env[name]])),
    ...(admin.email && admin.password ? { ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password } : {}),
  };
  const ports = {
    users: process.env.USERS_PORT || '4001',
    catalog: process.env.CATALOG_PORT || '4002',
    orders: process.env.ORDERS_PORT || '4003',
    gateway: process.env.GATEWAY_PORT || process.env.PORT || '4000',
    worker: process.env.WORKER_PORT || '4004',
  };
  // Supervised, as a process manager would in production: a service that dies is started again.
  // One machine runs all five services, so METRICS_PORT is the first of five metrics ports (gateway,
  // users, catalog, orders, worker); without it, each service serves /metrics on its own port (not in production).
  const metricsBase = process.env.METRICS_PORT ? Number(process.env.METRICS_PORT) : undefined;
  const serviceOrder = ['gateway', 'users', 'catalog', 'orders', 'worker'];
  const metricsPorts = Object.fromEntries(serviceOrder.map((name, i) => [name, metricsBase === undefined ? undefined : metricsBase + i]));
  const serviceEnv = Object.fromEntries(
    serviceOrder.map((name) => [name, metricsPorts[name] === undefined ? {} : { METRICS_PORT: String(metricsPorts[name]) }]),
  );
  const stack = await startStack(env, {
    ports,
    serviceEnv,
    supervise: true,
    worker: true,
    log,
    onLine: (name, line) => console.log(`[${name}] ${line}`),
  });
  cleanups.push(stack.stop);
  const { gateway } = stack;

  // Demo products and customers are for a developer's laptop only, never for a production database.
  if (!production && admin.email && admin.password) await seedIfEmpty(gateway.url, admin, log);

  const sandbox = `http://localhost:${gateway.port}/graphql`;
  const metricsUrl = (name) =>
    metricsPorts[name] !== undefined
      ? `http://localhost:${metricsPorts[name]}/metrics`
      : production
        ? 'not served (set METRICS_PORT)'
        : `http://localhost:${stack[name].port}/metrics`;
  const metricsLines = serviceOrder.map((name) => `      ${name.padEnd(8)} ${metricsUrl(name)}`).join('\n');
  console.log(`
  Supergraph ready.
    Apollo Sandbox:  ${sandbox}   (open it in a browser)
    GraphQL:         POST ${sandbox}
    Metrics (Prometheus; ops/prometheus/prometheus.yml scrapes these):
${metricsLines}
    Background jobs: http://localhost:${stack.worker.port}/health   (queue counts; SMS ${process.env.SMS_WEBHOOK_URL ? 'to SMS_WEBHOOK_URL' : 'written to the worker log'})
    Traces:          ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT ? `OTLP to ${process.env.OTEL_EXPORTER_OTLP_ENDPOINT}` : 'off (set OTEL_EXPORTER_OTLP_ENDPOINT)'}
    Admin login:     ${admin.email ?? '(none configured)'}${process.env.ADMIN_PASSWORD || !admin.password ? '' : ` / ${admin.password}   (local development default)`}
  Press Ctrl-C to stop.
`);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
main().catch((error) => {
  console.error(`[start] ${error.message}`);
  void shutdown(1);
});
