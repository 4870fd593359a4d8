// Starts the project's services as real child processes and waits until each listens.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stopChild } from './child-process.mjs';
import { withOwnSigningKeyOnly } from './keys.mjs';
import { root } from './localdb.mjs';

export const serviceEntries = {
  users: join(root, 'subgraphs/users/dist/index.js'),
  catalog: join(root, 'subgraphs/catalog/dist/index.js'),
  orders: join(root, 'subgraphs/orders/dist/index.js'),
  gateway: join(root, 'gateway/dist/index.js'),
};

/**
 * Spawns `node <entry>` with env, forwards its log lines to onLine, and resolves
 * to { name, port, url, stop, child, logs } once it logs "listening". Rejects if it exits
 * first, or (after stopping it) if it does not listen within timeoutMs.
 */
export function startService(name, env, { onLine = () => {}, timeoutMs = 30_000 } = {}) {
  // Each service gets its own signing key only, whatever the caller's environment holds, and only
  // the users subgraph (which makes sure of the admin account) gets the admin's credentials.
  const merged = withOwnSigningKeyOnly(name, { ...process.env, ...env });
  if (name !== 'users') {
    delete merged.ADMIN_EMAIL;
    delete merged.ADMIN_PASSWORD;
  }
  // The "listening" line is logged at info level and is how the port becomes known.
  if (merged.LOG_LEVEL !== 'debug') merged.LOG_LEVEL = 'info';
  const child = spawn(process.execPath, [serviceEntries[name]], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const record = (line) => {
    lines.push(line);
    if (lines.length > 200) lines.shift();
    onLine(name, line);
  };
  createInterface({ input: child.stderr }).on('line', record);
  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', record);

  const stop = () => stopChild(child);

  return new Promise((resolve, reject) => {
    // Whichever comes first of listening, exiting and timing out decides; the others are ignored.
    let settled = false;
    const onExit = (code, signal) => {
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${signal ? `signal ${signal}` : `code ${code}`} before listening:\n${lines.join('\n')}`));
    };
    const timer = setTimeout(() => {
      settled = true;
      child.off('exit', onExit);
      const error = new Error(`${name} did not start within ${timeoutMs} ms:\n${lines.join('\n')}`);
      // Reject only once it is gone, so no half-started service outlives the failure (or keeps its port).
      void stop().then(() => reject(error));
    }, timeoutMs);
    child.once('exit', onExit);
    stdout.on('line', (line) => {
      if (settled) return;
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'listening' && typeof entry.port === 'number') {
        settled = true;
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({ name, port: entry.port, url: `http://127.0.0.1:${entry.port}/graphql`, stop, child, logs: lines });
      }
    });
  });
}

/**
 * Waits for services started together. If any fails, stops those that did start
 * (Promise.all would leave them running, unseen by the caller) and rethrows the first failure.
 *
 * @template {{ stop: () => Promise<unknown> }} S
 * @param {Promise<S>[]} starting
 * @returns {Promise<S[]>}
 */
export async function startTogether(starting) {
  const results = await Promise.allSettled(starting);
  const failure = results.find((r) => r.status === 'rejected');
  if (!failure) return results.map((r) => /** @type {PromiseFulfilledResult<S>} */ (r).value);
  await Promise.all(results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.stop()] : [])));
  throw failure.reason;
}

/**
 * Starts the three subgraphs, then the gateway pointed at them: the one place that knows the
 * start-up order (npm start, the tests and the benchmark all use it). `options.ports` gives a
 * port per service ('0', a free one, by default).
 */
export async function startStack(env, options = {}) {
  const port = (name) => String(options.ports?.[name] ?? '0');
  const started = [];
  try {
    const [users, catalog] = await startTogether([
      startService('users', { PORT: port('users'), ...env }, options),
      startService('catalog', { PORT: port('catalog'), ...env }, options),
    ]);
    started.push(users, catalog);
    const orders = await startService('orders', { PORT: port('orders'), CATALOG_URL: catalog.url, ...env }, options);
    started.push(orders);
    const gateway = await startService(
      'gateway',
      {
        PORT: port('gateway'),
        USERS_URL: users.url,
        CATALOG_URL: catalog.url,
        ORDERS_URL: orders.url,
        ...env,
        ...(options.gatewayEnv ?? {}),
      },
      options,
    );
    started.push(gateway);
    return {
      users,
      catalog,
      orders,
      gateway,
      stop: () => Promise.all(started.map((s) => s.stop())).then(() => undefined),
    };
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
}
