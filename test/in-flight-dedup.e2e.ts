import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { startFaultProxy } from './fault-proxy.js';
import { adminToken, createProduct, signUpCustomer } from './helpers.js';

// Identical queries in flight at once share one subgraph request (SUBGRAPH_DEDUP, on by default);
// mutations never do, nor do requests of different users. Counted at proxies in front of the shared
// stack's catalog and users subgraphs, which hold every answer back 300 ms so that requests overlap.

const HOLD_MS = 300;
type Service = Awaited<ReturnType<typeof startService>>;

describe('in-flight deduplication of subgraph requests', () => {
  const proxies: Awaited<ReturnType<typeof startFaultProxy>>[] = [];
  let catalogProxy: (typeof proxies)[number];
  let usersProxy: (typeof proxies)[number];
  const gateways: Service[] = [];
  let sharing: Service;
  let notSharing: Service;
  let admin: string;
  let productId: string;

  beforeAll(async () => {
    const urls = inject('subgraphUrls');
    catalogProxy = await startFaultProxy(HOLD_MS);
    usersProxy = await startFaultProxy(HOLD_MS);
    proxies.push(catalogProxy, usersProxy);
    catalogProxy.setTarget(urls.catalog);
    usersProxy.setTarget(urls.users);
    const start = (dedup: 'on' | 'off') =>
      startService('gateway', {
        PORT: '0',
        NODE_ENV: 'test',
        USERS_URL: usersProxy.url,
        CATALOG_URL: catalogProxy.url,
        ORDERS_URL: urls.orders,
        SUBGRAPH_DEDUP: dedup,
      });
    [sharing, notSharing] = await Promise.all([start('on'), start('off')]);
    gateways.push(sharing, notSharing);
    admin = await adminToken();
    productId = (await createProduct(admin)).id;
  });

  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop()));
    await Promise.all(proxies.map((p) => p.close()));
  });

  const holdEverything = () => {
    catalogProxy.setRule(() => 'delay');
    usersProxy.setRule(() => 'delay');
  };
  const sentTo = (proxy: typeof catalogProxy, operationPrefix = '') =>
    proxy.seen.filter((s) => s.fault === 'delay' && s.operation.startsWith(operationPrefix)).length;
  const PRODUCT = 'query($id: ID!) { product(id: $id) { id name stock } }';

  it('sends 20 identical product queries arriving together as one catalog request, and answers all 20', async () => {
    holdEverything();
    const before = sentTo(catalogProxy);
    const results = await Promise.all(Array.from({ length: 20 }, () => postGraphQL(sharing.url, PRODUCT, { id: productId })));
    expect(results.map((r) => r.errors)).toEqual(Array(20).fill(undefined));
    expect(new Set(results.map((r) => JSON.stringify(r.data)))).toEqual(new Set([JSON.stringify(results[0].data)]));
    expect(sentTo(catalogProxy) - before).toBe(1);
    const health = (await (await fetch(sharing.url.replace('/graphql', '/health'))).json()) as { subgraphDedup: unknown };
    expect(health.subgraphDedup).toMatchObject({ enabled: true, shared: expect.any(Number) });
  });

  it('with SUBGRAPH_DEDUP=off sends every one of them', async () => {
    holdEverything();
    const before = sentTo(catalogProxy);
    await Promise.all(Array.from({ length: 20 }, () => postGraphQL(notSharing.url, PRODUCT, { id: productId })));
    expect(sentTo(catalogProxy) - before).toBe(20);
  });

  it('never shares between users: two customers asking for themselves at once get two requests, each their own answer', async () => {
    const [asha, ravi] = [await signUpCustomer({ name: 'Asha' }), await signUpCustomer({ name: 'Ravi' })];
    holdEverything();
    const before = sentTo(usersProxy);
    const ME = '{ me { id name } }';
    const [a1, r1, a2] = await Promise.all([
      postGraphQL(sharing.url, ME, {}, { token: asha.token }),
      postGraphQL(sharing.url, ME, {}, { token: ravi.token }),
      postGraphQL(sharing.url, ME, {}, { token: asha.token }),
    ]);
    expect([a1.data.me.name, r1.data.me.name, a2.data.me.name]).toEqual(['Asha', 'Ravi', 'Asha']);
    // Asha's two share one; Ravi's is his own.
    expect(sentTo(usersProxy) - before).toBe(2);
  });

  it('never shares mutations: five identical restocks at once are five requests and five restocks', async () => {
    holdEverything();
    const before = sentTo(catalogProxy);
    const RESTOCK = 'mutation($id: ID!) { restock(id: $id, quantity: 1) { stock } }';
    const stockBefore = (await postGraphQL(sharing.url, PRODUCT, { id: productId })).data.product.stock as number;
    const afterRead = sentTo(catalogProxy);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => postGraphQL(sharing.url, RESTOCK, { id: productId }, { token: admin })),
    );
    expect(results.map((r) => r.errors)).toEqual(Array(5).fill(undefined));
    expect(sentTo(catalogProxy) - afterRead).toBe(5);
    expect(afterRead - before).toBe(1);
    expect((await postGraphQL(sharing.url, PRODUCT, { id: productId })).data.product.stock).toBe(stockBefore + 5);
  });
});
