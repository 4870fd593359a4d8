// Starts the project's services as real child processes and waits until each listens.
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
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
  worker: join(root, 'worker/dist/index.js'),
};

/**
 * Spawns `node <entry>` with env, forwards its log lines to onLine, and resolves
 * to { name, port, url, stop, child, logs } once it logs "listening". Rejects if it exits
 * first, or (after stopping it) if it does not listen within timeoutMs. `entry` and `signer`
 * (whose signing key it gets) default to the service's own; the benchmark's peer gateways
 * give their own script and sign as the gateway. `nodeArgs` go to node before the entry (the
 * benchmark's profiler: --cpu-prof is not allowed in NODE_OPTIONS).
 */
export function startService(
  name,
  env,
  { onLine = () => {}, timeoutMs = 30_000, entry = serviceEntries[name], signer = name, nodeArgs = [] } = {},
) {
  // Each service gets its own signing key only, whatever the caller's environment holds, and only
  // the users subgraph (which makes sure of the admin account) gets the admin's credentials.
  const merged = withOwnSigningKeyOnly(signer, { ...process.env, ...env });
  if (name !== 'users') {
    delete merged.ADMIN_EMAIL;
    delete merged.ADMIN_PASSWORD;
  }
  // The "listening" line is logged at info level and is how the port becomes known.
  if (merged.LOG_LEVEL !== 'debug') merged.LOG_LEVEL = 'info';
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    env: merged,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  // SERVICE_LOG_FILE (set by `npm test`): every line of every service of the run goes there too, so
  // the run can be checked for personal data and secrets in logs.
  const logFile = process.env.SERVICE_LOG_FILE;
  const record = (line) => {
    if (logFile) appendFileSync(logFile, `${line}\n`);
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

/** Backoff before the n-th restart in a row of a service that keeps dying: 1 s, 2 s, 4 s … at most 30 s. */
export const restartDelayMs = (attempt) => Math.min(30_000, 1_000 * 2 ** attempt);

/**
 * Keeps a started service running, as a process manager would: when it exits without being asked
 * to, it is started again on the same port (after restartDelayMs, growing while restarts fail),
 * and each restart is reported through `log`. `current()` is the running instance; `stop()` stops
 * it and supervising.
 *
 * @param {Awaited<ReturnType<typeof startService>>} first
 * @param {Record<string, string>} env the environment it was started with
 * @param {{ onLine?: (name: string, line: string) => void, log?: (message: string) => void }} options
 */
export function supervise(first, env, options = {}) {
  const log = options.log ?? (() => {});
  let current = first;
  let stopping = false;
  let timer;
  const watch = (service) => {
    service.child.once('exit', (code, signal) => {
      if (stopping) return;
      log(`${service.name} exited unexpectedly (${signal ? `signal ${signal}` : `code ${code}`}); restarting`);
      restart(0);
    });
  };
  const restart = (attempt) => {
    timer = setTimeout(async () => {
      if (stopping) return;
      try {
        current = await startService(first.name, { ...env, PORT: String(first.port) }, options);
        if (stopping) return void current.stop();
        log(`${first.name} restarted (pid ${current.child.pid}, port ${current.port}, attempt ${attempt + 1})`);
        watch(current);
      } catch (error) {
        log(`${first.name} failed to restart (attempt ${attempt + 1}): ${error.message.split('\n')[0]}`);
        restart(attempt + 1);
      }
    }, restartDelayMs(attempt));
  };
  watch(first);
  return {
    current: () => current,
    stop: () => {
      stopping = true;
      clearTimeout(timer);
      return current.stop();
    },
  };
}

/**
 * Starts the three subgraphs (and, with `options.worker`, the job worker), then the gateway pointed
 * at the subgraphs: the one place that knows the start-up order (npm start, the tests and the
 * benchmark all use it). The worker is asked for by npm start and the tests' shared stack; a test's
 * own stack goes without, since a second worker on the run's queues would take the shared stack's jobs. `options.ports` gives a
 * port per service ('0', a free one, by default), `options.serviceEnv` variables for one service only. With `options.supervise`, a service that dies
 * is restarted on its port (see supervise; `options.log` hears about it).
 */
export async function startStack(env, options = {}) {
  const port = (name) => String(options.ports?.[name] ?? '0');
  const started = [];
  const launch = async (name, baseEnv) => {
    const serviceEnv = { ...baseEnv, ...(options.serviceEnv?.[name] ?? {}) };
    const service = await startService(name, serviceEnv, options);
    if (!options.supervise) return service;
    options.log?.(`${name} started (pid ${service.child.pid}, port ${service.port})`);
    const supervisor = supervise(service, serviceEnv, options);
    return { ...service, stop: supervisor.stop };
  };
  try {
    const [users, catalog] = await startTogether([
      launch('users', { PORT: port('users'), ...env }),
      launch('catalog', { PORT: port('catalog'), ...env }),
    ]);
    started.push(users, catalog);
    const orders = await launch('orders', { PORT: port('orders'), CATALOG_URL: catalog.url, ...env });
    started.push(orders);
    // The worker asks users how to reach a customer and who an invoice's buyer is, and orders to
    // number and store invoices; it starts beside the gateway.
    const workerEnv = { PORT: port('worker'), USERS_URL: users.url, ORDERS_URL: orders.url, ...env };
    const [gateway, worker] = await startTogether([
      launch('gateway', {
        PORT: port('gateway'),
        USERS_URL: users.url,
        CATALOG_URL: catalog.url,
        ORDERS_URL: orders.url,
        ...env,
        ...(options.gatewayEnv ?? {}),
      }),
      ...(options.worker ? [launch('worker', workerEnv)] : []),
    ]);
    started.push(gateway, ...(worker ? [worker] : []));
    const stack = {
      users,
      catalog,
      orders,
      gateway,
      worker,
      // The services the stack holds when stopped: a test that restarts one puts the new process
      // in its place (`stack.catalog = …`), and that is the one to stop, or it outlives the run.
      stop: () =>
        Promise.all([stack.users, stack.catalog, stack.orders, stack.gateway, stack.worker].filter(Boolean).map((s) => s.stop())).then(
          () => undefined,
        ),
    };
    return stack;
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
}
