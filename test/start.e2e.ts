import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { stopChild } from '../scripts/lib/child-process.mjs';
import { withDatabase } from '../scripts/lib/localdb.mjs';
import { gql } from './helpers.js';

const root = resolve(import.meta.dirname, '..');

/** Runs `npm start`'s script against a given database and resolves once it prints the Sandbox URL. */
function runStart(env: Record<string, string>) {
  const child = spawn(process.execPath, ['scripts/start.mjs'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'development',
      USERS_PORT: '0',
      CATALOG_PORT: '0',
      ORDERS_PORT: '0',
      GATEWAY_PORT: '0',
      WORKER_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
  const ready = new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not get ready:\n${output.join('\n')}`)), 150_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      const match = /Apollo Sandbox:\s+(http:\/\/\S+)/.exec(line);
      if (match) {
        clearTimeout(timer);
        resolvePromise(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output.join('\n')}`)));
  });
  // Ctrl-C, as a person would stop it; resolves to its exit code. The grace is long because it stops
  // its services one after another; a SIGKILL after it shows as a null code and fails the test.
  const stop = () => stopChild(child, { signal: 'SIGINT', graceMs: 60_000 }).then(({ code }) => code);
  return { ready, stop, output };
}

describe('npm start', () => {
  it('seeds an empty database once, and makes sure the admin account exists on every start', async () => {
    const mongodbUri = withDatabase(process.env.TEST_MONGODB_URI!, `start_${Date.now()}`);
    const first = runStart({ MONGODB_URI: mongodbUri, ADMIN_EMAIL: 'owner@test.in', ADMIN_PASSWORD: 'first-password-1' });
    const url = await first.ready;
    // It says where each service's metrics are, and they are there.
    const metricsLines = await vi.waitFor(() => {
      const lines = first.output.filter((line) => /^\s+(gateway|users|catalog|orders)\s+http:\/\/\S+\/metrics$/.test(line));
      if (lines.length < 4) throw new Error(`npm start has printed ${lines.length} of 4 metrics URLs`);
      return lines;
    });
    for (const line of metricsLines) {
      const metrics = await fetch(line.trim().split(/\s+/)[1]);
      expect(metrics.status, line).toBe(200);
      expect(await metrics.text(), line).toContain('# TYPE graphql_requests_total counter');
    }
    const catalog = await gql('{ products(first: 100) { totalCount edges { node { category pricePaise name } } } }', {}, undefined, url);
    expect(catalog.data.products.totalCount).toBeGreaterThanOrEqual(50);
    const categories = new Set(catalog.data.products.edges.map((e: any) => e.node.category));
    expect(categories.size).toBeGreaterThanOrEqual(5);
    for (const edge of catalog.data.products.edges) expect(Number.isInteger(edge.node.pricePaise)).toBe(true);

    const logIn = await gql(
      'mutation { logIn(email: "owner@test.in", password: "first-password-1") { token user { role } } }',
      {},
      undefined,
      url,
    );
    expect(logIn.data.logIn.user.role).toBe('ADMIN');
    const users = await gql(
      '{ users(first: 20) { totalCount edges { node { role orders { totalCount } } } } }',
      {},
      logIn.data.logIn.token,
      url,
    );
    const customers = users.data.users.edges.filter((e: any) => e.node.role === 'CUSTOMER');
    expect(customers.length).toBeGreaterThanOrEqual(3);
    for (const customer of customers) expect(customer.node.orders.totalCount).toBeGreaterThan(0);
    expect(first.output.join('\n')).toContain('seeded');
    expect(await first.stop()).toBe(0);
    // Development keys are made once, readable by their owner only, and kept for the next start.
    const keysFile = resolve(root, '.localdb/dev-keys.json');
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    const keys = readFileSync(keysFile, 'utf8');
    expect(Object.keys(JSON.parse(keys)).sort()).toEqual(['gateway', 'orders', 'users', 'worker']);

    // Second start on the same database with other admin credentials: no reseeding, and the new admin works.
    const second = runStart({ MONGODB_URI: mongodbUri, ADMIN_EMAIL: 'ops@test.in', ADMIN_PASSWORD: 'second-password-2' });
    const url2 = await second.ready;
    expect(second.output.join('\n')).toContain('not seeding');
    const count = await gql('{ products { totalCount } }', {}, undefined, url2);
    expect(count.data.products.totalCount).toBe(catalog.data.products.totalCount);
    const ops = await gql('mutation { logIn(email: "ops@test.in", password: "second-password-2") { user { role } } }', {}, undefined, url2);
    expect(ops.data.logIn.user.role).toBe('ADMIN');
    expect(await second.stop()).toBe(0);
    expect(readFileSync(keysFile, 'utf8')).toBe(keys);
  }, 300_000);

  it('restarts a service that dies, on the same port, and logs it', async () => {
    const started = runStart({ MONGODB_URI: withDatabase(process.env.TEST_MONGODB_URI!, `supervised_${Date.now()}`) });
    try {
      const url = await started.ready;
      const line = started.output.find((entry) => /\[start\] catalog started \(pid \d+/.test(entry));
      expect(line, started.output.join('\n')).toBeDefined();
      const pid = Number(/pid (\d+)/.exec(line!)![1]);
      process.kill(pid, 'SIGKILL');
      await expect
        .poll(() => started.output.some((entry) => /\[start\] catalog restarted \(pid \d+, port \d+/.test(entry)), {
          timeout: 30_000,
          interval: 100,
        })
        .toBe(true);
      expect(started.output.some((entry) => /catalog exited unexpectedly \(signal SIGKILL\)/.test(entry))).toBe(true);
      // The gateway reaches the new catalog at the same address.
      await expect
        .poll(async () => (await gql('{ products(first: 1) { totalCount } }', {}, undefined, url)).data?.products?.totalCount, {
          timeout: 30_000,
          interval: 200,
        })
        .toBeGreaterThan(0);
    } finally {
      expect(await started.stop()).toBe(0);
    }
  }, 180_000);
});
