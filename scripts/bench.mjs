#!/usr/bin/env node
// `npm run bench`: our gateway side by side with Hive Gateway and plain Apollo Gateway (bench/peers),
// all against the same three subgraph processes on a temporary local database with a fixed data
// set, and the catalog asked directly as the ceiling. Writes bench/results/<date>.md and prints one
// line per target of the Performance issue. Speed targets live here, not in the tests (no timing
// assertions in CI). A last phase times placeOrder and updateOrderStatus while a job worker works
// through a burst of confirmations (scripts/bench/jobs-burst.mjs). BENCH_DURATION_MS, BENCH_ROUNDS,
// BENCH_CONNECTIONS, BENCH_WARMUP_MS and BENCH_SCENARIOS shorten it.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { build, ensureInstalled } from './lib/deps.mjs';
import { postGraphQL } from './lib/graphql-http.mjs';
import { generateKeySet, keyEnv } from './lib/keys.mjs';
import { root, startTemporaryLocalDb, withDatabase } from './lib/localdb.mjs';
import { ensureRedis } from './lib/redis.mjs';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 2_500);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1_000);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '16,64').split(',').map(Number);
/** Only these scenario keys (comma-separated, e.g. `s1-identical,s3-varied`), for a quick look at one. */
/** Our gateway runs under `node --cpu-prof`; where its time went goes to bench/results/<date>-profile.md. */
const PROFILE = process.env.BENCH_PROFILE === '1';
const ONLY = process.env.BENCH_SCENARIOS ? new Set(process.env.BENCH_SCENARIOS.split(',')) : null;
/** Sequential requests per page size when counting MongoDB commands. */
const COUNTED_REQUESTS = 10;

const log = (message) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/** Sum of mongodb_command_duration_seconds_count over the three subgraphs' /metrics. */
async function mongoCommandCount(metricsPorts) {
  let total = 0;
  for (const port of Object.values(metricsPorts)) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const line of text.split('\n'))
      if (line.startsWith('mongodb_command_duration_seconds_count')) total += Number(line.split(' ').pop());
  }
  return total;
}

async function main() {
  ensureInstalled();
  build();
  const { ensurePeersInstalled, freePort, startGateway, ceilingTarget } = await import('./bench/targets.mjs');
  const { JOBS_BURST_KEY, runJobsBurst } = await import('./bench/jobs-burst.mjs');
  // The jobs phase drives our gateway only: a run of it alone needs no peer gateways.
  if (!ONLY || [...ONLY].some((key) => key !== JOBS_BURST_KEY)) ensurePeersInstalled(log);
  const { startService, startTogether } = await import('./lib/processes.mjs');
  const { AccessTokenIssuer, CredentialSigner } = await import('@supergraph/auth');
  const { seedDataset, COUNTS } = await import('./bench/dataset.mjs');
  const { scenarios: makeScenarios, MY_ORDERS } = await import('./bench/scenarios.mjs');
  const { measure, settle } = await import('./bench/load.mjs');
  const { summariseProfiles } = await import('./bench/profile.mjs');

  const cleanups = [];
  try {
    let uri = process.env.MONGODB_URI;
    /** The local database's process: settling waits for it too (it works through what clients gave up on). */
    const databasePids = [];
    if (!uri) {
      const db = await startTemporaryLocalDb('bench-db', log);
      cleanups.push(db.stop);
      uri = db.uri;
      databasePids.push(db.pid);
    }
    uri = withDatabase(uri, `bench_${Date.now()}`);
    const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
    cleanups.push((await ensureRedis(redisUrl, log)).stop);
    log(`seeding ${COUNTS.products} products, ${COUNTS.users} users, ${COUNTS.orders} orders`);
    const { productIds, userIds } = await seedDataset(uri);

    const keys = generateKeySet();
    const env = {
      NODE_ENV: 'production',
      MONGODB_URI: uri,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
      ...keyEnv(keys),
      // One machine plays every client: budgets meant for one phone would measure the limiter.
      RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER: '100000000',
      RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP: '100000000',
      ORDERS_MAX_UNITS_PER_CUSTOMER_PER_DAY: '1000000',
      ORDERS_MAX_PLACED_PER_CUSTOMER: '1000',
      // Background sweeps would add MongoDB commands no request made to the per-request counts.
      OUTBOX_POLL_MS: '60000',
      ORDER_SWEEP_INTERVAL_MS: '3600000',
      RESERVATION_SETTLE_INTERVAL_MS: '3600000',
    };
    const metricsPorts = { users: await freePort(), catalog: await freePort(), orders: await freePort() };
    const sub = (name, extra = {}) => startService(name, { ...env, PORT: '0', METRICS_PORT: String(metricsPorts[name]), ...extra });
    const [users, catalog] = await startTogether([sub('users'), sub('catalog')]);
    cleanups.push(users.stop, catalog.stop);
    const orders = await sub('orders', { CATALOG_URL: catalog.url });
    cleanups.push(orders.stop);
    const subgraphs = { users, catalog, orders };
    const subgraphPids = { users: users.child.pid, catalog: catalog.child.pid, orders: orders.child.pid };
    log(
      `subgraphs up: ${Object.values(subgraphs)
        .map((s) => s.url)
        .join(' ')}`,
    );

    // Each virtual user its own token, minted as the users subgraph would (test/helpers.ts does the same).
    const issuer = new AccessTokenIssuer(keys.users, 2 * 60 * 60);
    const tokens = [];
    for (const id of userIds) tokens.push((await issuer.issue({ id, role: 'CUSTOMER' })).token);
    const signer = new CredentialSigner('gateway', keys.gateway);
    const all = makeScenarios({ productIds, tokens });

    const results = { off: {}, cache: {} };
    const profiles = [];
    const profileRoot = mkdtempSync(join(os.tmpdir(), 'bench-profile-'));
    cleanups.push(async () => rmSync(profileRoot, { recursive: true, force: true }));
    const profileDir = (mode) => join(profileRoot, mode);
    const subgraphPeaks = { users: NaN, catalog: NaN, orders: NaN };
    const mongoCommands = {};
    const phases = [
      { mode: 'off', kinds: ['ours', 'hive', 'apollo'], keys: all.map((s) => s.key), ceiling: true },
      // Plain Apollo caches nothing without @cacheControl hints, which the supergraph has none of.
      { mode: 'cache', kinds: ['ours', 'hive'], keys: ['s1-identical', 's1-varied', 's2-varied'], ceiling: false },
    ];
    for (const phase of phases) {
      const chosen = all.filter((s) => phase.keys.includes(s.key) && (!ONLY || ONLY.has(s.key)));
      if (!chosen.length) continue;
      log(`caching ${phase.mode}: starting ${phase.kinds.join(', ')}`);
      const gateways = [];
      for (const kind of phase.kinds) {
        const gateway = await startGateway(kind, {
          env: { ...env, REDIS_PREFIX: `${env.REDIS_PREFIX}-${kind}-${phase.mode}` },
          subgraphs,
          cache: phase.mode === 'cache',
          profileDir: PROFILE ? profileDir(phase.mode) : undefined,
        });
        gateways.push(gateway);
        cleanups.push(gateway.stop);
      }
      const targetsFor = (scenario, round) => {
        // Alternate who goes first each round, so no gateway always meets a warmer or cooler machine.
        const list = gateways.slice(round % gateways.length).concat(gateways.slice(0, round % gateways.length));
        if (phase.ceiling && scenario.direct) list.push(ceilingTarget(catalog, null));
        return list;
      };
      const run = async (target, scenario, connections, durationMs) => {
        // The ceiling's credential is fresh for every run (valid 60 s; runs are shorter).
        const t = target.name === 'ceiling' ? ceilingTarget(catalog, await signer.credentialFor('catalog')) : target;
        const result = await measure(t, scenario, { connections, durationMs, subgraphPids });
        await settle([...Object.values(subgraphPids), ...gateways.map((g) => g.pid), ...databasePids]);
        return result;
      };
      if (phase.mode === 'off' && !ONLY) {
        for (const gateway of gateways) {
          const counts = {};
          for (const first of [10, 100]) {
            const before = await mongoCommandCount(metricsPorts);
            for (let i = 0; i < COUNTED_REQUESTS; i++) {
              const { errors } = await postGraphQL(gateway.url, MY_ORDERS, { first }, { token: tokens[0] });
              if (errors) throw new Error(`${gateway.name}: ${JSON.stringify(errors).slice(0, 300)}`);
            }
            counts[first] = ((await mongoCommandCount(metricsPorts)) - before) / COUNTED_REQUESTS;
          }
          mongoCommands[gateway.name] = counts;
          log(`MongoDB commands per request, s3 via ${gateway.name}: page 10 → ${counts[10]}, page 100 → ${counts[100]}`);
        }
      }

      log('warming up');
      for (const scenario of chosen)
        for (const target of targetsFor(scenario, 0)) {
          const r = await run(target, scenario, CONNECTIONS[0], WARMUP_MS);
          log(
            `warm-up ${scenario.key} ${target.name}: ${r.rps.toFixed(0)} req/s, ${r.errors + r.non2xx + r.bad} failed${r.example ? `: ${r.example}` : ''}`,
          );
        }

      for (let round = 0; round < ROUNDS; round++) {
        for (const scenario of chosen) {
          for (const connections of CONNECTIONS) {
            for (const target of targetsFor(scenario, round)) {
              const r = await run(target, scenario, connections, DURATION_MS);
              ((results[phase.mode][scenario.key] ??= {})[connections] ??= {})[target.name] ??= [];
              results[phase.mode][scenario.key][connections][target.name].push(r);
              for (const [name, peak] of Object.entries(r.subgraphPeakRssMb))
                subgraphPeaks[name] = Math.max(peak, subgraphPeaks[name] || 0);
              const failed = r.errors + r.non2xx + r.bad;
              log(
                `round ${round + 1} ${phase.mode} ${scenario.key} c${connections} ${target.name}: ${r.rps.toFixed(0)} req/s p99 ${r.p99.toFixed(1)} ms ` +
                  `cpu ${r.cpuMsPerRequest.toFixed(2)} ms/req rss ${r.peakRssMb.toFixed(0)} MB${failed ? ` FAILED ${failed}: ${r.example}` : ''}`,
              );
            }
          }
        }
      }
      for (const gateway of gateways) await gateway.stop();
      if (PROFILE)
        profiles.push(
          `## Our gateway, caching ${phase.mode}: ${chosen.map((c) => c.key).join(', ')}\n\n${summariseProfiles(profileDir(phase.mode))}`,
        );
    }
    let jobsBurst;
    if (!ONLY || ONLY.has(JOBS_BURST_KEY)) {
      log('background jobs: starting ours (caching off), then a worker');
      const gateway = await startGateway('ours', {
        env: { ...env, REDIS_PREFIX: `${env.REDIS_PREFIX}-ours-jobs` },
        subgraphs,
        cache: false,
      });
      cleanups.push(gateway.stop);
      // An admin's token minted like the customers': updateOrderStatus asks for the role, not an account.
      const adminToken = (await issuer.issue({ id: randomBytes(12).toString('hex'), role: 'ADMIN' })).token;
      jobsBurst = await runJobsBurst({
        uri,
        env,
        subgraphs,
        gateway,
        productIds,
        adminToken,
        settle: () => settle([...Object.values(subgraphPids), gateway.pid, ...databasePids]),
        log,
      });
      await gateway.stop();
    }
    if (PROFILE) {
      const date = new Date().toISOString().slice(0, 10);
      const file = writeResults(
        `${date}-profile.md`,
        [`# Where our gateway's CPU went (node --cpu-prof), ${date}`, '', ...profiles].join('\n'),
      );
      log(`profile summary written to ${file}`);
    }

    const gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim()
      ? ' (with uncommitted changes)'
      : '';
    const meta = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, git ${gitCommit}${dirty}`,
      rounds: ROUNDS,
      durationMs: DURATION_MS,
      warmupMs: WARMUP_MS,
      connections: CONNECTIONS,
      counts: COUNTS,
    };
    if (ONLY?.size === 1 && jobsBurst) {
      // The jobs phase compares a gateway with itself, so it stands alone: its own results file.
      const { JOBS_BURST_TITLE, jobsBurstLines } = await import('./bench/report.mjs');
      const file = writeResults(
        `${meta.date}-jobs-burst.md`,
        [`# ${JOBS_BURST_TITLE}, ${meta.date}`, '', `Machine: ${meta.machine}.`, '', ...jobsBurstLines(jobsBurst), ''].join('\n'),
      );
      log(`jobs-burst results written to ${file}`);
      return;
    }
    if (ONLY) {
      log('BENCH_SCENARIOS: a partial run, so no results file is written (the runs are above)');
      return;
    }
    const dir = join(root, 'bench/results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${meta.date}.json`), JSON.stringify({ meta, results, subgraphPeaks, mongoCommands, jobsBurst }));
    const targetLines = await writeReport({ meta, results, subgraphPeaks, mongoCommands, jobsBurst });
    for (const line of targetLines) console.log(line);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

/**
 * Writes `text` to bench/results/<name> and formats it, with `alsoFormat` (names of files already
 * written there), in Prettier's style, so committed results pass `prettier --check`. Returns the path.
 */
function writeResults(name, text, alsoFormat = []) {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, text);
  const files = [file, ...alsoFormat.map((other) => join(dir, other))];
  execFileSync(join(root, 'node_modules/.bin/prettier'), ['--write', ...files], { cwd: root, stdio: 'ignore' });
  return file;
}

/** Writes bench/results/<date>.md from a run's measurements and returns its target lines. */
async function writeReport({ meta, results, subgraphPeaks, mongoCommands, jobsBurst }) {
  const { JOBS_BURST_TITLE, jobsBurstLines, tables, targets } = await import('./bench/report.mjs');
  const { scenarios: makeScenarios } = await import('./bench/scenarios.mjs');
  const all = makeScenarios({ productIds: [], tokens: [] });
  const options = {
    modes: ['off', 'cache'],
    scenarios: all,
    connectionCounts: meta.connections,
    targetNames: ['ours', 'hive', 'apollo', 'ceiling'],
  };
  const targetLines = targets(results, { connectionCounts: meta.connections, subgraphPeaks, mongoCommands });
  const report = [
    `# npm run bench, ${meta.date}`,
    '',
    `- machine: ${meta.machine}`,
    `- ${meta.rounds} rounds of ${meta.durationMs / 1000} s per gateway, scenario and connection count (${meta.connections.join(' and ')}), gateways alternating; ${meta.warmupMs / 1000} s warm-up each`,
    `- data: ${meta.counts.products} products, ${meta.counts.users} users, ${meta.counts.orders} orders on a temporary local FerretDB; Redis; one set of subgraph processes for every gateway`,
    '- ours: gateway/ (caching on: CACHE=on PERSISTED_QUERIES=apq SUBGRAPH_DEDUP=on; off: CACHE=off, in-flight dedup on as by default); hive: @graphql-hive/gateway 2.15.1 (caching on: its response cache in Redis, 30 s); apollo: @apollo/gateway 2.14.4 + @apollo/server 5 as documented; ceiling: the catalog subgraph asked directly',
    '- ok req/s counts 2xx answers without GraphQL errors only; errors/non-2xx/bad: socket errors and timeouts / non-2xx answers / 2xx answers with GraphQL errors (every answer) or the wrong shape (every 10th parsed)',
    `- subgraph peak RSS over all runs: ${Object.entries(subgraphPeaks)
      .map(([n, v]) => `${n} ${v.toFixed(0)} MB`)
      .join(', ')}`,
    '',
    '## MongoDB commands per request, scenario 3 (one user with 110 orders)',
    '',
    '| gateway | page size 10 | page size 100 |',
    '| --- | --- | --- |',
    ...Object.entries(mongoCommands).map(([n, c]) => `| ${n} | ${c[10].toFixed(2)} | ${c[100].toFixed(2)} |`),
    '',
    '## Runs (medians over rounds; peak RSS the largest)',
    '',
    tables(results, options),
    // Results files from before the jobs phase have none.
    ...(jobsBurst ? [`## ${JOBS_BURST_TITLE}`, '', ...jobsBurstLines(jobsBurst), ''] : []),
    '## Targets',
    '',
    '```',
    ...targetLines,
    '```',
    '',
  ].join('\n');
  const file = writeResults(`${meta.date}.md`, report, [`${meta.date}.json`]);
  log(`results written to ${file}`);
  return targetLines;
}

// `node scripts/bench.mjs --report bench/results/<date>.json` writes the Markdown again from a run's measurements.
const reportFrom = process.argv.indexOf('--report');
const start =
  reportFrom > 0
    ? async () => {
        for (const line of await writeReport(JSON.parse(readFileSync(process.argv[reportFrom + 1], 'utf8')))) console.log(line);
      }
    : main;

start().catch((error) => {
  console.error(error);
  process.exit(1);
});
