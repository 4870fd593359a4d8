import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { errorCodes, gql } from './helpers.js';

// A second gateway process in production mode, in front of the same subgraphs.
describe('gateway in production mode', () => {
  let gateway: Awaited<ReturnType<typeof startService>>;

  beforeAll(async () => {
    const urls = inject('subgraphUrls');
    gateway = await startService('gateway', {
      NODE_ENV: 'production',
      PORT: '0',
      USERS_URL: urls.users,
      CATALOG_URL: urls.catalog,
      ORDERS_URL: urls.orders,
      CORS_ORIGINS: 'https://shop.example.in',
    });
  });
  afterAll(() => gateway?.stop());

  it('does not suggest field names (they map the schema for whoever probes it)', async () => {
    const result = await gql('{ produts(first: 1) { totalCount } }', {}, undefined, gateway.url);
    expect(errorCodes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(result.errors![0].message).toContain('produts');
    expect(result.errors![0].message).not.toMatch(/did you mean/i);
    // Outside production the suggestion helps developers.
    const development = await gql('{ produts(first: 1) { totalCount } }');
    expect(development.errors![0].message).toMatch(/did you mean/i);
  });

  it('turns introspection off', async () => {
    const result = await gql('{ __schema { queryType { name } } }', {}, undefined, gateway.url);
    expect(errorCodes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(result.errors![0].message).toMatch(/introspection/i);
  });

  it('does not serve Sandbox, but still answers queries', async () => {
    const page = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(page.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(await page.text()).not.toMatch(/sandbox/i);
    const products = await gql('{ products(first: 1) { totalCount } }', {}, undefined, gateway.url);
    expect(products.errors).toBeUndefined();
    expect(typeof products.data.products.totalCount).toBe('number');
  });

  it('allows only the configured browser origins', async () => {
    const preflight = (origin: string) =>
      fetch(gateway.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://shop.example.in')).headers.get('access-control-allow-origin')).toBe('https://shop.example.in');
    expect((await preflight('https://evil.example.com')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
