import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { asGateway } from './helpers.js';

// A deploy stops a service with SIGTERM: it turns /ready to 503 at once, keeps serving for
// SHUTDOWN_DRAIN_MS so a load balancer stops sending, then finishes and exits 0.

describe('SIGTERM', () => {
  it.each(['catalog', 'gateway'] as const)(
    '%s: readiness 503 at once, requests served through the drain, then exit 0',
    async (name) => {
      const urls = inject('subgraphUrls');
      const service = await startService(name, {
        PORT: '0',
        NODE_ENV: 'test',
        MONGODB_URI: inject('mongodbUri'),
        USERS_URL: urls.users,
        CATALOG_URL: urls.catalog,
        ORDERS_URL: urls.orders,
        SHUTDOWN_DRAIN_MS: '3000',
      });
      const exited = new Promise<number | null>((resolve) => service.child.once('exit', (code: number | null) => resolve(code)));
      const query = async () =>
        postGraphQL(
          service.url,
          '{ products(first: 1) { totalCount } }',
          {},
          { headers: name === 'catalog' ? await asGateway('catalog') : {} },
        );
      expect((await fetch(new URL('/ready', service.url))).status).toBe(200);
      const signalledAt = Date.now();
      service.child.kill('SIGTERM');
      await expect.poll(async () => (await fetch(new URL('/ready', service.url))).status, { timeout: 2_000, interval: 50 }).toBe(503);
      const during = await query();
      expect(Date.now() - signalledAt).toBeLessThan(3_000);
      expect(during.status).toBe(200);
      expect(during.errors).toBeUndefined();
      expect(await exited).toBe(0);
      expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(3_000);
    },
    30_000,
  );
});
