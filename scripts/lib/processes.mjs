// Starts the project's services as real child processes and waits until each listens.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { root } from './localdb.mjs';

export const serviceEntries = {
  users: join(root, 'subgraphs/users/dist/index.js'),
  catalog: join(root, 'subgraphs/catalog/dist/index.js'),
  orders: join(root, 'subgraphs/orders/dist/index.js'),
  gateway: join(root, 'gateway/dist/index.js'),
};

/**
 * Spawns `node <entry>` with env, forwards its log lines to onLine, and resolves
 * to { name, port, url, stop } once it logs "listening". Rejects if it exits first.
 */
export function startService(name, env, { onLine = () => {}, timeoutMs = 30_000 } = {}) {
  const merged = { ...process.env, ...env };
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

  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(killer);
        resolve();
      });
      child.kill('SIGTERM');
    });

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${lines.join('\n')}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening:\n${lines.join('\n')}`));
    });
    stdout.on('line', (line) => {
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.msg === 'listening' && typeof entry.port === 'number') {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ name, port: entry.port, url: `http://127.0.0.1:${entry.port}/graphql`, stop, child, logs: lines });
      }
    });
  });
}

/** Starts the three subgraphs, then the gateway pointed at them. */
export async function startStack(env, options = {}) {
  const started = [];
  try {
    const [users, catalog] = await Promise.all([
      startService('users', { PORT: '0', ...env }, options),
      startService('catalog', { PORT: '0', ...env }, options),
    ]);
    started.push(users, catalog);
    const orders = await startService('orders', { PORT: '0', CATALOG_URL: catalog.url, ...env }, options);
    started.push(orders);
    const gateway = await startService(
      'gateway',
      { PORT: '0', USERS_URL: users.url, CATALOG_URL: catalog.url, ORDERS_URL: orders.url, ...env, ...(options.gatewayEnv ?? {}) },
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
