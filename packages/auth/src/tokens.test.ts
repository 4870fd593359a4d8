import { describe, expect, it } from 'vitest';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT, type JWTPayload } from 'jose';
import {
  ACCESS_TOKEN_ISSUER,
  AccessTokenIssuer,
  AccessTokenVerifier,
  CredentialSigner,
  CredentialVerifier,
  DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  requireViewer,
  type PrivateKeyJwk,
} from './index.js';
import { publicKeysOf, testSigningKey } from './testing.js';

const key = testSigningKey('users');
const issuer = new AccessTokenIssuer(key);
const verifier = new AccessTokenVerifier(publicKeysOf(key));

const INVALID = { viewer: null, tokenProblem: 'the token is invalid' };
const NO_USER = { viewer: null, tokenProblem: 'the token does not name a user and role' };

interface CraftOptions {
  alg?: string;
  kid?: string;
  iss?: string | null;
  aud?: string | null;
  sub?: string | null;
  iat?: number | null;
  exp?: number | null;
}

/** A token with claims chosen by the test, signed with `signer` (an Ed25519 JWK, or a symmetric secret for HS256). */
async function craft(claims: JWTPayload, options: CraftOptions = {}, signer: PrivateKeyJwk | Uint8Array = key): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const alg = options.alg ?? 'EdDSA';
  const kid = options.kid ?? (signer instanceof Uint8Array ? undefined : signer.kid);
  let jwt = new SignJWT(claims).setProtectedHeader(kid === undefined ? { alg } : { alg, kid });
  const iss = options.iss === undefined ? ACCESS_TOKEN_ISSUER : options.iss;
  const aud = options.aud === undefined ? 'supergraph-client' : options.aud;
  const sub = options.sub === undefined ? 'u1' : options.sub;
  const iat = options.iat === undefined ? now : options.iat;
  const exp = options.exp === undefined ? now + 600 : options.exp;
  if (iss !== null) jwt = jwt.setIssuer(iss);
  if (aud !== null) jwt = jwt.setAudience(aud);
  if (sub !== null) jwt = jwt.setSubject(sub);
  if (iat !== null) jwt = jwt.setIssuedAt(iat);
  if (exp !== null) jwt = jwt.setExpirationTime(exp);
  return jwt.sign(signer instanceof Uint8Array ? signer : await importJWK(signer, 'EdDSA'));
}

const bearer = (token: string) => `Bearer ${token}`;

describe('AccessTokenIssuer and AccessTokenVerifier', () => {
  it('round-trips a viewer, its session and the token times through issue and authenticate', async () => {
    const before = Date.now();
    const issued = await issuer.issue({ id: 'user-1', role: 'CUSTOMER' }, 'session-1');
    const state = await verifier.authenticate(bearer(issued.token));
    expect(state).toEqual({
      viewer: { id: 'user-1', role: 'CUSTOMER' },
      tokenProblem: null,
      token: { sessionId: 'session-1', issuedAt: expect.any(Number), expiresAt: issued.expiresAt.getTime() },
    });
    expect(state.token!.issuedAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(state.token!.issuedAt).toBeLessThanOrEqual(Date.now());
    expect(state.token!.expiresAt - state.token!.issuedAt).toBe(DEFAULT_ACCESS_TOKEN_TTL_SECONDS * 1000);
    expect(requireViewer(state)).toEqual({ id: 'user-1', role: 'CUSTOMER' });

    const admin = await issuer.issue({ id: 'user-2', role: 'ADMIN' });
    const adminState = await verifier.authenticate(bearer(admin.token));
    expect(adminState.viewer).toEqual({ id: 'user-2', role: 'ADMIN' });
    // No session given: none claimed.
    expect(adminState.token?.sessionId).toBeNull();
  });

  it('carries the session id in the sid claim, and names the signing key in the header', async () => {
    const { token } = await issuer.issue({ id: 'u', role: 'CUSTOMER' }, 'sess-42');
    expect(decodeJwt(token)).toMatchObject({ sub: 'u', role: 'CUSTOMER', sid: 'sess-42', iss: 'users', aud: 'supergraph-client' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: key.kid });
    expect(decodeJwt((await issuer.issue({ id: 'u', role: 'CUSTOMER' })).token)).not.toHaveProperty('sid');
    // A sid put there by hand (as another issuer with the same key would) is read the same way.
    expect((await verifier.authenticate(bearer(await craft({ role: 'ADMIN', sid: 'hand-made' })))).token?.sessionId).toBe('hand-made');
  });

  it('gives every token its own id, even two of one session in the same second', async () => {
    const [a, b] = await Promise.all([issuer.issue({ id: 'u', role: 'CUSTOMER' }, 's'), issuer.issue({ id: 'u', role: 'CUSTOMER' }, 's')]);
    expect(a.token).not.toBe(b.token);
    expect(decodeJwt(a.token).jti).toEqual(expect.any(String));
    expect(decodeJwt(a.token).jti).not.toBe(decodeJwt(b.token).jti);
  });

  it('lasts 15 minutes by default, or the TTL it is given', async () => {
    expect(DEFAULT_ACCESS_TOKEN_TTL_SECONDS).toBe(900);
    const before = Date.now();
    const issued = await issuer.issue({ id: 'u', role: 'CUSTOMER' });
    const payload = decodeJwt(issued.token);
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(issued.expiresAt.getTime()).toBe(payload.exp! * 1000);
    expect(issued.expiresAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 900_000);
    const short = decodeJwt((await new AccessTokenIssuer(key, 120).issue({ id: 'u', role: 'CUSTOMER' })).token);
    expect(short.exp! - short.iat!).toBe(120);
  });

  it('accepts the scheme in any case', async () => {
    const { token } = await issuer.issue({ id: 'u', role: 'CUSTOMER' });
    expect((await verifier.authenticate(`bearer ${token}`)).viewer?.id).toBe('u');
  });

  it('treats a missing header as anonymous, not as a problem', async () => {
    expect(await verifier.authenticate(undefined)).toEqual({ viewer: null, tokenProblem: null });
    expect(await verifier.authenticate('')).toEqual({ viewer: null, tokenProblem: null });
  });

  it('reports a header that is not "Bearer <token>"', async () => {
    const { token } = await issuer.issue({ id: 'u', role: 'CUSTOMER' });
    for (const header of [token, `Basic ${token}`, 'Bearer', `Bearer ${token} extra`]) {
      const state = await verifier.authenticate(header);
      expect(state.viewer, header).toBeNull();
      expect(state.tokenProblem, header).toMatch(/Bearer <token>/);
    }
  });

  it('never throws, whatever the token', async () => {
    for (const token of ['garbage', 'a.b.c', '..', 'eyJ.eyJ.sig', `${'x'.repeat(5000)}`]) {
      expect(await verifier.authenticate(bearer(token)), token).toEqual(INVALID);
    }
  });

  it('reports a tampered token as invalid', async () => {
    const { token } = await issuer.issue({ id: 'user-1', role: 'CUSTOMER' }, 's1');
    const [header, payload, signature] = token.split('.');
    const claims = decodeJwt(token);
    const forgedPayload = Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url');
    expect(await verifier.authenticate(bearer(`${header}.${forgedPayload}.${signature}`))).toEqual(INVALID);

    // Change one character in the middle of the signature (the last one carries padding bits).
    const middle = Math.floor(signature.length / 2);
    const flipped = signature.slice(0, middle) + (signature[middle] === 'A' ? 'B' : 'A') + signature.slice(middle + 1);
    expect(await verifier.authenticate(bearer(`${header}.${payload}.${flipped}`))).toEqual(INVALID);
    // Untouched, the same token passes: the edits above are the reason.
    expect((await verifier.authenticate(bearer(token))).viewer).toEqual({ id: 'user-1', role: 'CUSTOMER' });
  });

  it('refuses a token signed with another key, whatever kid it names', async () => {
    const other = testSigningKey('other');
    const foreign = await new AccessTokenIssuer(other).issue({ id: 'u', role: 'ADMIN' });
    expect(await verifier.authenticate(bearer(foreign.token))).toEqual(INVALID);
    // Another key posing under our key id.
    const posing = await new AccessTokenIssuer({ ...other, kid: key.kid }).issue({ id: 'u', role: 'ADMIN' });
    expect(decodeProtectedHeader(posing.token).kid).toBe(key.kid);
    expect(await verifier.authenticate(bearer(posing.token))).toEqual(INVALID);
  });

  it('reports an expired token as expired', async () => {
    const expired = await new AccessTokenIssuer(key, -10).issue({ id: 'u', role: 'CUSTOMER' });
    const state = await verifier.authenticate(bearer(expired.token));
    expect(state.viewer).toBeNull();
    expect(state.token).toBeUndefined();
    expect(state.tokenProblem).toMatch(/expired/);
  });

  it('refuses a token without exp or iat', async () => {
    expect(await verifier.authenticate(bearer(await craft({ role: 'ADMIN' }, { exp: null })))).toEqual(INVALID);
    expect(await verifier.authenticate(bearer(await craft({ role: 'ADMIN' }, { iat: null })))).toEqual(INVALID);
    // With both, the same claims pass (the helper makes valid tokens).
    expect((await verifier.authenticate(bearer(await craft({ role: 'ADMIN' })))).viewer).toEqual({ id: 'u1', role: 'ADMIN' });
  });

  it('refuses a wrong or missing issuer or audience even with the right key', async () => {
    for (const options of [{ iss: 'gateway' }, { iss: null }, { aud: 'catalog' }, { aud: null }] satisfies CraftOptions[]) {
      expect(await verifier.authenticate(bearer(await craft({ role: 'ADMIN' }, options))), JSON.stringify(options)).toEqual(INVALID);
    }
  });

  it('refuses an HS256 token, even one keyed with the public key (algorithm confusion)', async () => {
    const confused = await craft({ role: 'ADMIN' }, { alg: 'HS256', kid: key.kid }, new TextEncoder().encode(key.x));
    expect(decodeProtectedHeader(confused).alg).toBe('HS256');
    expect(await verifier.authenticate(bearer(confused))).toEqual(INVALID);
    const symmetric = await craft({ role: 'ADMIN' }, { alg: 'HS256' }, new TextEncoder().encode('s'.repeat(32)));
    expect(await verifier.authenticate(bearer(symmetric))).toEqual(INVALID);
  });

  it('refuses an unsigned (alg "none") token', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: key.kid })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({ sub: 'u', role: 'ADMIN', iss: 'users', aud: 'supergraph-client', iat: now, exp: now + 60 }),
    ).toString('base64url');
    expect(await verifier.authenticate(bearer(`${header}.${payload}.`))).toEqual(INVALID);
  });

  it('refuses tokens without a subject or with an unknown role', async () => {
    const tokens = [
      await craft({ role: 'CUSTOMER' }, { sub: null }),
      await craft({ role: 'ROOT' }),
      await craft({ role: 'admin' }),
      await craft({}),
      await craft({ role: ['ADMIN'] }),
    ];
    for (const token of tokens) expect(await verifier.authenticate(bearer(token)), JSON.stringify(decodeJwt(token))).toEqual(NO_USER);
  });

  it('accepts tokens from either key while two public keys are configured (rotation)', async () => {
    const oldKey = testSigningKey('old');
    const newKey = testSigningKey('new');
    const fromOld = (await new AccessTokenIssuer(oldKey).issue({ id: 'u-old', role: 'CUSTOMER' })).token;
    const fromNew = (await new AccessTokenIssuer(newKey).issue({ id: 'u-new', role: 'ADMIN' })).token;

    const during = new AccessTokenVerifier(publicKeysOf(oldKey, newKey));
    expect((await during.authenticate(bearer(fromOld))).viewer).toEqual({ id: 'u-old', role: 'CUSTOMER' });
    expect((await during.authenticate(bearer(fromNew))).viewer).toEqual({ id: 'u-new', role: 'ADMIN' });

    const after = new AccessTokenVerifier(publicKeysOf(newKey));
    expect(await after.authenticate(bearer(fromOld))).toEqual(INVALID);
    expect((await after.authenticate(bearer(fromNew))).viewer).toEqual({ id: 'u-new', role: 'ADMIN' });
  });
});

describe('access tokens and service credentials are not interchangeable', () => {
  it('does not accept a service credential as an access token, even one signed with the token key for the client audience', async () => {
    // The worst case: a service named like the token issuer, holding the token signing key.
    const signer = new CredentialSigner(ACCESS_TOKEN_ISSUER, key);
    expect(await verifier.authenticate(bearer(await signer.credentialFor('catalog')))).toEqual(INVALID);
    expect(await verifier.authenticate(bearer(await signer.credentialFor('supergraph-client')))).toEqual(NO_USER);
    const gateway = testSigningKey('gateway');
    const credential = await new CredentialSigner('gateway', gateway).credentialFor('users');
    expect(await new AccessTokenVerifier(publicKeysOf(key, gateway)).authenticate(bearer(credential))).toEqual(INVALID);
  });

  it('does not accept an access token, even an admin one, as a service credential', async () => {
    const { token } = await issuer.issue({ id: 'admin-1', role: 'ADMIN' }, 's1');
    // Trusting the users service under the very key it signs access tokens with.
    const credentials = new CredentialVerifier([
      { issuer: 'gateway', audience: 'catalog', keys: publicKeysOf(testSigningKey('gateway')) },
      { issuer: 'users', audience: 'catalog', keys: publicKeysOf(key) },
    ]);
    expect(await credentials.verify(token)).toEqual({ problem: expect.stringContaining('invalid') });
    const gatewayOnly = new CredentialVerifier([{ issuer: 'gateway', audience: 'catalog', keys: publicKeysOf(key) }]);
    expect(await gatewayOnly.verify(token)).toEqual({ problem: expect.stringContaining('does not trust') });
    // The Authorization header value is not a credential either.
    expect(await gatewayOnly.verify(bearer(token))).toHaveProperty('problem');
  });
});
