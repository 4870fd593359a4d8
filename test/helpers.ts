import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { AccessTokenIssuer, CredentialSigner, readPrivateKey, SERVICE_CREDENTIAL_HEADER, type Viewer } from '@supergraph/auth';
import { graphqlData, postGraphQL, type GraphQLResult } from '../scripts/lib/graphql-http.mjs';

export type { GraphQLResult };

/** Sends one GraphQL request over HTTP, like a client would (to the gateway unless url says otherwise). */
export function gql<T = any>(
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  url = inject('gatewayUrl'),
): Promise<GraphQLResult<T>> {
  return postGraphQL<T>(url, query, variables, { token });
}

/** Like gql, but returns the data and fails the test with the server's errors if there are any. */
export function gqlOk<T = any>(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  return graphqlData<T>(inject('gatewayUrl'), query, variables, { token });
}

let gatewaySigner: CredentialSigner | undefined;

/**
 * The header the gateway adds to every subgraph request, signed with the run's gateway key (the
 * test runner holds every key; each service process holds only its own). For tests that call a
 * subgraph as the gateway would.
 */
export async function asGateway(subgraph: 'users' | 'catalog' | 'orders'): Promise<Record<string, string>> {
  gatewaySigner ??= new CredentialSigner('gateway', readPrivateKey(process.env, 'GATEWAY_SIGNING_KEY'));
  return { [SERVICE_CREDENTIAL_HEADER]: await gatewaySigner.credentialFor(subgraph) };
}

/** An access token as the users subgraph would sign it, here with a lifetime the test chooses. */
export async function mintAccessToken(viewer: Viewer, ttlSeconds: number, sessionId?: string): Promise<string> {
  const issuer = new AccessTokenIssuer(readPrivateKey(process.env, 'USER_TOKEN_SIGNING_KEY'), ttlSeconds);
  return (await issuer.issue(viewer, sessionId)).token;
}

/** Sends one GraphQL request to a subgraph directly, carrying the gateway's credential. */
export async function gqlAsGateway<T = any>(
  subgraph: 'users' | 'catalog' | 'orders',
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResult<T>> {
  return postGraphQL<T>(inject('subgraphUrls')[subgraph], query, variables, { token, headers: await asGateway(subgraph) });
}

export function errorCodes(result: GraphQLResult): string[] {
  return (result.errors ?? []).map((e) => e.extensions?.code);
}

export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Logs in through a gateway (the shared one unless `gatewayUrl` says otherwise) and returns the access token. */
export async function logInToken(email: string, password: string, gatewayUrl = inject('gatewayUrl')): Promise<string> {
  const data = await graphqlData<{ logIn: { token: string } }>(
    gatewayUrl,
    'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }',
    { e: email, p: password },
  );
  return data.logIn.token;
}

export async function adminToken(): Promise<string> {
  const admin = inject('admin');
  return logInToken(admin.email, admin.password);
}

export async function signUpCustomer(overrides: Record<string, unknown> = {}) {
  const email = `${unique('cust')}@test.bharatmart.in`;
  const password = 'correct-horse-42';
  const data = await gqlOk<{ signUp: { token: string; user: { id: string; name: string; email: string } } }>(
    'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id name email } } }',
    { input: { name: 'Test Customer', email, password, city: 'Mumbai', ...overrides } },
  );
  return { ...data.signUp, email, password };
}

export async function createProduct(token: string, overrides: Record<string, unknown> = {}) {
  const data = await gqlOk<{ createProduct: { id: string; sku: string; pricePaise: number; stock: number } }>(
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id sku pricePaise stock } }',
    {
      input: {
        sku: unique('SKU').toUpperCase(),
        name: 'Test Thali Set',
        category: 'Test Kitchen',
        pricePaise: 49900,
        stock: 10,
        ...overrides,
      },
    },
    token,
  );
  return data.createProduct;
}

export const PLACE_ORDER = `mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { id status totalPaise items { quantity unitPricePaise product { id } } }
}`;

export async function productStock(id: string): Promise<number> {
  const data = await gqlOk<{ product: { stock: number } }>('query($id: ID!) { product(id: $id) { stock } }', { id });
  return data.product.stock;
}
