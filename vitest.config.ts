import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
const require = createRequire(import.meta.url);
// Tests import the workspace packages from source, so they never run against a stale build.
const resolve = {
  alias: [
    { find: /^@supergraph\/telemetry\/tracing$/, replacement: `${packagesDir}telemetry/src/tracing.ts` },
    {
      find: /^@supergraph\/(runtime|auth|subgraph-kit|contracts|limits|rate-limits|telemetry|caching|invoicing|jobs)$/,
      replacement: `${packagesDir}$1/src/index.ts`,
    },
    { find: /^@supergraph\/(runtime|subgraph-kit)\/testing$/, replacement: `${packagesDir}$1/src/testing.ts` },
    // Node loads graphql's CommonJS build for everything (the federation packages too); Vite would
    // give transformed code the ESM build, a second copy whose schemas and errors the first rejects.
    { find: /^graphql$/, replacement: require.resolve('graphql') },
  ],
};

/** Unit tests of one workspace package: `*.test.ts` beside its sources, no processes, no network but local stores. */
const unit = (name: string, dir: string) => ({
  resolve,
  test: { name, include: [`${dir}/src/**/*.test.ts`], testTimeout: 20_000 },
});

export default defineConfig({
  test: {
    // Integration files drive real processes; on two cores they run one at a time.
    fileParallelism: false,
    projects: [
      unit('runtime', 'packages/runtime'),
      unit('auth', 'packages/auth'),
      unit('subgraph-kit', 'packages/subgraph-kit'),
      unit('limits', 'packages/limits'),
      unit('rate-limits', 'packages/rate-limits'),
      unit('telemetry', 'packages/telemetry'),
      unit('caching', 'packages/caching'),
      unit('invoicing', 'packages/invoicing'),
      unit('jobs', 'packages/jobs'),
      unit('users', 'subgraphs/users'),
      unit('catalog', 'subgraphs/catalog'),
      unit('orders', 'subgraphs/orders'),
      unit('gateway', 'gateway'),
      unit('worker', 'worker'),
      // Checks of the repository itself (composition, schema changes, package boundaries): no processes.
      { resolve, test: { name: 'repo', include: ['test/**/*.test.ts'], testTimeout: 20_000 } },
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/**/*.e2e.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
