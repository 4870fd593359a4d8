import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(`./packages/shared/src/${path}`, import.meta.url));
const require = createRequire(import.meta.url);
// Tests import the shared package from source, so they never run against a stale build.
const resolve = {
  alias: [
    { find: /^@supergraph\/shared$/, replacement: source('index.ts') },
    { find: /^@supergraph\/shared\/testing$/, replacement: source('testing.ts') },
    // Node loads graphql's CommonJS build for everything (the federation packages too); Vite would
    // give transformed code the ESM build, a second copy whose schemas and errors the first rejects.
    { find: /^graphql$/, replacement: require.resolve('graphql') },
  ],
};

const unit = (name: string, dir: string) => ({
  resolve,
  test: { name, include: [`${dir}/src/**/*.test.ts`], testTimeout: 20_000 },
});

export default defineConfig({
  test: {
    // Integration files drive real processes; on two cores they run one at a time.
    fileParallelism: false,
    projects: [
      unit('shared', 'packages/shared'),
      unit('users', 'subgraphs/users'),
      unit('catalog', 'subgraphs/catalog'),
      unit('orders', 'subgraphs/orders'),
      unit('gateway', 'gateway'),
      {
        resolve,
        test: {
          name: 'integration',
          include: ['test/**/*.e2e.ts', 'test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
