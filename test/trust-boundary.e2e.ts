import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import WebSocket from 'ws';
import { importJWK, SignJWT } from 'jose';
import { CredentialSigner, readPrivateKey, SERVICE_CREDENTIAL_HEADER, SERVICE_CREDENTIAL_PARAM } from '@supergraph/auth';
import { startService } from '../scripts/lib/processes.mjs';
import { postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { adminToken, asGateway, errorCodes, gql, gqlAsGateway } from './helpers.js';

// The trust boundary around the subgraphs: GraphQL only for requests the gateway signed (or, for
// the catalog's internal stock mutations, the orders service), with keys no other service holds.

type Subgraph = 'users' | 'catalog' | 'orders';
const SUBGRAPHS: Subgraph[] = ['users', 'catalog', 'orders'];
const PROBE = '{ _service { sdl } }';

const key = (name: string) => readPrivateKey(process.env, name);

/** A credential with claims and key of the test's choosing, as an attacker would make one. */
async function craft(
  signingKeyVariable: string,
  claims: { iss?: string; aud?: string; expiresIn?: number; iat?: number },
): Promise<string> {
  const jwk = key(signingKeyVariable);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid })
    .setIssuer(claims.iss ?? 'gateway')
    .setAudience(claims.aud ?? 'users')
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime((claims.iat ?? now) + (claims.expiresIn ?? 60))
    .sign(await importJWK(jwk, 'EdDSA'));
}

async function probe(subgraph: Subgraph, credential?: string, token?: string) {
  return postGraphQL(
    inject('subgraphUrls')[subgraph],
    PROBE,
    {},
    {
      token,
      headers: credential === undefined ? {} : { [SERVICE_CREDENTIAL_HEADER]: credential },
    },
  );
}

function expectRefused(result: Awaited<ReturnType<typeof probe>>) {
  expect(result.status, JSON.stringify(result)).toBe(401);
  expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
  expect(result.data ?? undefined).toBeUndefined();
  expect(JSON.stringify(result)).not.toMatch(/type Query|reserveStock/);
}

describe('a subgraph reached directly', () => {
  it.each(SUBGRAPHS)(
    '%s answers 401 UNAUTHENTICATED without a credential, and with any credential the gateway did not sign for it',
    async (subgraph) => {
      const other = subgraph === 'users' ? 'catalog' : 'users';
      const admin = await adminToken();
      expectRefused(await probe(subgraph));
      expectRefused(await probe(subgraph, 'not-a-jwt'));
      // A user's admin token is not a service credential, in either header.
      expectRefused(await probe(subgraph, admin));
      expectRefused(await probe(subgraph, undefined, admin));
      // The gateway's key, but expired (issued 10 minutes ago for a minute).
      expectRefused(await probe(subgraph, await craft('GATEWAY_SIGNING_KEY', { aud: subgraph, iat: Math.floor(Date.now() / 1000) - 600 })));
      // The gateway's key, but for another subgraph.
      expectRefused(await probe(subgraph, await craft('GATEWAY_SIGNING_KEY', { aud: other })));
      // Claiming to be the gateway with the users subgraph's token key or the orders service's key.
      expectRefused(await probe(subgraph, await craft('USER_TOKEN_SIGNING_KEY', { aud: subgraph })));
      expectRefused(await probe(subgraph, await craft('ORDERS_SERVICE_SIGNING_KEY', { aud: subgraph })));
      // The control: the gateway's own credential for this subgraph is served.
      const served = await probe(subgraph, await craft('GATEWAY_SIGNING_KEY', { aud: subgraph }));
      expect(served.status).toBe(200);
      expect(served.data._service.sdl).toContain('type Query');
    },
  );

  it.each(SUBGRAPHS)('%s keeps /health and /ready open', async (subgraph) => {
    const base = inject('subgraphUrls')[subgraph];
    expect((await fetch(new URL('/health', base))).status).toBe(200);
    expect((await fetch(new URL('/ready', base))).status).toBe(200);
  });

  it.each(SUBGRAPHS)("%s closes a WebSocket without the gateway's credential at connection_init (4403)", async (subgraph) => {
    const url = inject('subgraphUrls')[subgraph].replace(/^http/, 'ws');
    const closeOf = async (params: Record<string, unknown>) => {
      const socket = new WebSocket(url, 'graphql-transport-ws');
      await new Promise((resolve) => socket.once('open', resolve));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      const acked = new Promise<boolean>((resolve) =>
        socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString('utf8')).type === 'connection_ack')),
      );
      socket.send(JSON.stringify({ type: 'connection_init', payload: params }));
      return Promise.race([closed, acked.then((ok) => (ok ? 'ack' : 'other'))]).finally(() => socket.close());
    };
    expect(await closeOf({})).toBe(4403);
    expect(await closeOf({ [SERVICE_CREDENTIAL_PARAM]: await craft('USER_TOKEN_SIGNING_KEY', { aud: subgraph }) })).toBe(4403);
    expect(await closeOf({ [SERVICE_CREDENTIAL_PARAM]: (await asGateway(subgraph))[SERVICE_CREDENTIAL_HEADER] })).toBe('ack');
  });

  it("takes the client address (x-client-ip) only from requests that carry the gateway's credential", async () => {
    // Without the credential nothing is read at all, so a forged address cannot even reach a budget.
    const forged = await postGraphQL(inject('subgraphUrls').users, PROBE, {}, { headers: { 'x-client-ip': '203.0.113.9' } });
    expect(forged.status).toBe(401);
  });
});

describe('the internal stock mutations', () => {
  const RESERVE = 'mutation { reserveStock(orderId: "6b0a00000000000000000000", lines: []) { productId } }';

  it("are not part of the gateway's schema, for any client, admins included", async () => {
    const result = await gql(RESERVE, {}, await adminToken());
    expect(errorCodes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it("are refused to the gateway's own credential: only the orders service's key and audience will do", async () => {
    expect(errorCodes(await gqlAsGateway('catalog', RESERVE, {}, await adminToken()))).toEqual(['FORBIDDEN']);
    // The orders key with the gateway's audience, and the gateway's key with the orders audience: both refused at the door.
    const url = inject('subgraphUrls').catalog;
    for (const credential of [
      await craft('ORDERS_SERVICE_SIGNING_KEY', { iss: 'orders', aud: 'catalog' }),
      await craft('GATEWAY_SIGNING_KEY', { iss: 'gateway', aud: 'catalog-internal' }),
      await craft('USER_TOKEN_SIGNING_KEY', { iss: 'orders', aud: 'catalog-internal' }),
    ]) {
      const result = await postGraphQL(url, RESERVE, {}, { headers: { [SERVICE_CREDENTIAL_HEADER]: credential } });
      expect(result.status).toBe(401);
    }
    // The orders service's own credential gets past the door and the caller check, as far as the
    // input's validation (an empty reservation is refused for what it is, not for who sent it).
    const orders = new CredentialSigner('orders', key('ORDERS_SERVICE_SIGNING_KEY'));
    const served = await postGraphQL(
      url,
      RESERVE,
      {},
      { headers: { [SERVICE_CREDENTIAL_HEADER]: await orders.credentialFor('catalog-internal') } },
    );
    expect(served.status).toBe(200);
    expect(errorCodes(served)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('minting', () => {
  it("a token signed with any key but the users subgraph's is not an access token anywhere", async () => {
    for (const variable of ['GATEWAY_SIGNING_KEY', 'ORDERS_SERVICE_SIGNING_KEY']) {
      const jwk = key(variable);
      const forged = await new SignJWT({ role: 'ADMIN' })
        .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid })
        .setSubject('6b0a00000000000000000000')
        .setIssuer('users')
        .setAudience('supergraph-client')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(await importJWK(jwk, 'EdDSA'));
      const result = await gql('{ users(first: 1) { totalCount } }', {}, forged);
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('each service process holds its own signing key only, so none can sign as another (and only users the admin password)', async () => {
    const signingKeys = ['GATEWAY_SIGNING_KEY', 'USER_TOKEN_SIGNING_KEY', 'ORDERS_SERVICE_SIGNING_KEY'];
    const own: Record<string, string | null> = {
      users: 'USER_TOKEN_SIGNING_KEY',
      catalog: null,
      orders: 'ORDERS_SERVICE_SIGNING_KEY',
      gateway: 'GATEWAY_SIGNING_KEY',
    };
    const base = inject('subgraphUrls');
    for (const name of ['users', 'catalog', 'orders', 'gateway'] as const) {
      const service = await startService(name, {
        PORT: '0',
        NODE_ENV: 'test',
        MONGODB_URI: inject('mongodbUri'),
        USERS_URL: base.users,
        CATALOG_URL: base.catalog,
        ORDERS_URL: base.orders,
        // Only the users subgraph makes sure of the admin account, so only it may see these.
        ADMIN_EMAIL: `boundary-admin-${name}@test.in`,
        ADMIN_PASSWORD: 'boundary-admin-password',
      });
      try {
        const environ = readFileSync(`/proc/${service.child.pid}/environ`, 'utf8').split('\0');
        const held = signingKeys.filter((variable) => environ.some((entry) => entry.startsWith(`${variable}=`)));
        expect(held, name).toEqual(own[name] ? [own[name]] : []);
        expect(
          environ.some((entry) => entry.startsWith('ADMIN_PASSWORD=')),
          name,
        ).toBe(name === 'users');
      } finally {
        await service.stop();
      }
    }
  }, 60_000);
});
