#!/usr/bin/env node
// `npm run bench`: measures the supergraph on this machine. Starts its own local
// database (unless MONGODB_URI is set), Redis if needed, and the four services,
// then drives the gateway over loopback HTTP with bounded, fixed-duration loads.
// Speed targets live here, not in the tests.
import { randomBytes } from 'node:crypto';
import { build, ensureInstalled } from './lib/deps.mjs';
import { graphqlData, postGraphQL } from './lib/graphql-http.mjs';
import { startTemporaryLocalDb, withDatabase } from './lib/localdb.mjs';
import { generateKeySet, keyEnv } from './lib/keys.mjs';
import { ensureRedis } from './lib/redis.mjs';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);

function percentile(sorted, p) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN;
}

/** Runs `request` from CONCURRENCY workers for DURATION_MS and reports throughput and latency. */
async function load(name, request) {
  const latencies = [];
  let errors = 0;
  const deadline = Date.now() + DURATION_MS;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = 0; Date.now() < deadline; i++) {
        const start = performance.now();
        const ok = await request(worker, i).catch(() => false);
        latencies.push(performance.now() - start);
        if (!ok) errors++;
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const row = {
    scenario: name,
    requests: latencies.length,
    'req/s': Math.round(latencies.length / (DURATION_MS / 1000)),
    'p50 ms': percentile(latencies, 50).toFixed(1),
    'p95 ms': percentile(latencies, 95).toFixed(1),
    'p99 ms': percentile(latencies, 99).toFixed(1),
    errors,
  };
  console.log(JSON.stringify(row));
  return row;
}

async function main() {
  ensureInstalled();
  build();
  const { startStack } = await import('./lib/processes.mjs');
  const { seedIfEmpty } = await import('./lib/seed.mjs');
  const cleanups = [];
  try {
    let uri = process.env.MONGODB_URI;
    if (!uri) {
      const db = await startTemporaryLocalDb('bench-db');
      cleanups.push(db.stop);
      uri = db.uri;
    }
    const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
    cleanups.push((await ensureRedis(redisUrl)).stop);
    const admin = { email: 'bench-admin@bench.in', password: randomBytes(12).toString('base64url') };
    const stack = await startStack({
      NODE_ENV: 'production',
      MONGODB_URI: withDatabase(uri, `bench_${Date.now()}`),
      REDIS_URL: redisUrl,
      ...keyEnv(generateKeySet()),
      // One machine plays every client: budgets meant for one phone would measure the limiter, not the supergraph.
      RATE_LIMIT_REQUESTS_PER_MINUTE_PER_USER: '100000000',
      RATE_LIMIT_REQUESTS_PER_MINUTE_PER_IP: '100000000',
      RATE_LIMIT_LOGINS_PER_IP: '100000000',
      ORDERS_MAX_UNITS_PER_CUSTOMER_PER_DAY: '1000000',
      REDIS_PREFIX: `bench-${randomBytes(4).toString('hex')}`,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
      LOG_LEVEL: 'warn',
      // One customer places every order of the checkout scenario; the cap on open orders (20 by
      // default) would turn it into a benchmark of refusals.
      ORDERS_MAX_PLACED_PER_CUSTOMER: '1000',
    });
    cleanups.push(stack.stop);
    const url = stack.gateway.url;
    await seedIfEmpty(url, admin, () => {});

    // Setup requests must succeed; graphqlData throws the server's error otherwise.
    const gql = (query, variables, token) => graphqlData(url, query, variables, { token });
    const { logIn } = await gql('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', {
      e: admin.email,
      p: admin.password,
    });
    const products = (await gql('{ products(first: 100) { edges { node { id } } } }')).products.edges.map((e) => e.node.id);
    const customer = (
      await gql('mutation($i: SignUpInput!) { signUp(input: $i) { token } }', {
        i: { name: 'Bench Buyer', email: `buyer-${Date.now()}@bench.in`, password: 'bench-password-1' },
      })
    ).signUp.token;
    // Enough stock that the order scenario measures placing, not running out.
    for (const id of products.slice(0, 10))
      await gql('mutation($id: ID!) { restock(id: $id, quantity: 1000000) { id } }', { id }, logIn.token);

    // One measured request: ok when the status is 2xx and no errors came back.
    const post = async (query, variables, token) => {
      const { status, errors } = await postGraphQL(url, query, variables, { token });
      return status >= 200 && status < 300 && !errors;
    };

    console.log(`# ${CONCURRENCY} concurrent clients, ${DURATION_MS / 1000} s per scenario, gateway ${url}`);
    await load('browse: products(first: 20), one subgraph', () =>
      post('{ products(first: 20) { edges { node { id name pricePaise stock } } } }'),
    );
    await load('product page: product(id) by id', (w, i) =>
      post('query($id: ID!) { product(id: $id) { id name formattedPrice stock } }', { id: products[(w + i) % products.length] }),
    );
    await load('cross-subgraph: users → orders → products (admin, 10 users)', () =>
      post(
        '{ users(first: 10) { edges { node { name orders(first: 5) { edges { node { totalPaise user { name } items { quantity product { name pricePaise } } } } } } } } }',
        {},
        logIn.token,
      ),
    );
    await load('checkout: placeOrder with 2 lines', (w, i) =>
      post(
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id totalPaise } }',
        {
          input: {
            items: [
              { productId: products[(w + i) % 10], quantity: 1 },
              { productId: products[(w + i + 1) % 10], quantity: 1 },
            ],
          },
        },
        customer,
      ),
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
