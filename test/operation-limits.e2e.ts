import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { SERVICE_CREDENTIAL_HEADER, SERVICE_CREDENTIAL_PARAM } from '@supergraph/auth';
import { adminToken, asGateway, gql, gqlAsGateway } from './helpers.js';
import { collect, wsClient } from './ws-helpers.js';

/**
 * Sends `query` and checks it was refused before running: HTTP 400 and only OPERATION_LIMIT errors
 * (an operation can break several limits at once). Returns the error for `limit`.
 */
async function refused(query: string, limit: string, token?: string, subgraph?: 'catalog') {
  const result = subgraph ? await gqlAsGateway(subgraph, query, {}, token) : await gql(query, {}, token);
  expect(result.status, JSON.stringify(result)).toBe(400);
  expect(result.data ?? undefined).toBeUndefined();
  for (const error of result.errors ?? []) expect(error.extensions?.code).toBe('OPERATION_LIMIT');
  const error = result.errors?.find((e) => e.extensions?.limit === limit);
  expect(error, JSON.stringify(result.errors)).toBeDefined();
  return error!;
}

describe('operation limits at the gateway', () => {
  it('refuses a repeated expensive field packed into aliases', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `p${i}: products(first: 100) { totalCount }`).join(' ')} }`;
    expect((await refused(aliased(16), 'aliases')).extensions).toMatchObject({ max: 15 });
    // Hundreds of them are not even parsed: the document has too many tokens, or is simply too long.
    expect((await refused(aliased(300), 'tokens')).extensions).toMatchObject({ max: 2_000 });
    expect((await refused(aliased(500), 'documentLength')).extensions).toMatchObject({ max: 20_000 });
  });

  it('refuses nesting that grows as orders per user to the power of the depth', async () => {
    const token = await adminToken();
    const nested =
      '{ me { orders { edges { node { user { orders { edges { node { user { orders { edges { node { id } } } } } } } } } } } } }';
    expect((await refused(nested, 'depth', token)).extensions).toMatchObject({ max: 12 });
  });

  it('prices pages within pages: 100 users with 100 orders each is over the cost limit', async () => {
    const token = await adminToken();
    const error = await refused(
      '{ users(first: 100) { edges { node { orders(first: 100) { edges { node { id totalPaise } } } } } } }',
      'cost',
      token,
    );
    expect(error.extensions).toMatchObject({ max: 10_000 });
    expect(error.message).toMatch(/estimated at \d+/);
  });

  it('refuses more than one password check in one operation', async () => {
    const guesses =
      'mutation { a: logIn(email: "a@b.in", password: "guess-one") { token } b: logIn(email: "a@b.in", password: "guess-two") { token } }';
    expect((await refused(guesses, 'authMutations')).extensions).toMatchObject({ max: 1 });
  });

  it('applies the same limits to subscriptions over WebSocket', async () => {
    const client = wsClient();
    try {
      const aliases = Array.from({ length: 16 }, (_, i) => `s${i}: stock`).join(' ');
      const feed = collect(client, `subscription { productUpdated(id: "6b0a00000000000000000000") { ${aliases} } }`);
      await feed.ended();
      expect(feed.errors.map((e: any) => e.extensions)).toContainEqual(
        expect.objectContaining({ code: 'OPERATION_LIMIT', limit: 'aliases' }),
      );
    } finally {
      await client.dispose();
    }
  });

  it("and each subgraph checks them again, even for a caller with the gateway's credential", async () => {
    const aliases = Array.from({ length: 16 }, (_, i) => `p${i}: products(first: 1) { totalCount }`).join(' ');
    expect((await refused(`{ ${aliases} }`, 'aliases', undefined, 'catalog')).extensions).toMatchObject({ max: 15 });
  });

  it("and the subgraph's own WebSocket serves only subscriptions, within the same limits", async () => {
    const credential = (await asGateway('catalog'))[SERVICE_CREDENTIAL_HEADER];
    const client = wsClient(undefined, inject('subgraphUrls').catalog.replace(/^http/, 'ws'), { [SERVICE_CREDENTIAL_PARAM]: credential });
    try {
      const query = collect(client, '{ products(first: 1) { totalCount } }');
      await query.ended();
      expect((query.errors[0] as any).extensions).toMatchObject({ code: 'BAD_REQUEST' });
      const aliases = Array.from({ length: 16 }, (_, i) => `s${i}: stock`).join(' ');
      const wide = collect(client, `subscription { productUpdated(id: "6b0a00000000000000000000") { ${aliases} } }`);
      await wide.ended();
      expect(wide.errors.map((e: any) => e.extensions)).toContainEqual(
        expect.objectContaining({ code: 'OPERATION_LIMIT', limit: 'aliases' }),
      );
    } finally {
      await client.dispose();
    }
  });
});
