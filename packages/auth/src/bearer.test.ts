import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AccessTokenIssuer, authorizationFrom, bearerToken, tokenExpiry, type PrivateKeyJwk } from './index.js';

/** A fresh Ed25519 signing key, exported by node:crypto as a JWK and given a key id. */
function signingKey(): PrivateKeyJwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x!, d: jwk.d!, kid: `bearer-${randomBytes(3).toString('hex')}` };
}

const key = signingKey();

async function accessToken(ttlSeconds: number, signer = key): Promise<string> {
  return (await new AccessTokenIssuer(signer, ttlSeconds).issue({ id: 'u1', role: 'CUSTOMER' })).token;
}

describe('bearer helpers', () => {
  it('bearerToken reads "Bearer <token>" in any case and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer   xyz')).toBe('xyz');
    expect(bearerToken('BEARER xyz')).toBe('xyz');
    for (const value of [undefined, '', 'Basic dXNlcg==', 'Bearer', 'Bearer ', 'Bearer a b', 'abc', ' Bearer abc', 'Bearerabc'])
      expect(bearerToken(value), String(value)).toBeNull();
  });

  it('authorizationFrom reads either spelling from connection params or headers, and ignores non-strings', () => {
    expect(authorizationFrom({ authorization: 'Bearer a' })).toBe('Bearer a');
    expect(authorizationFrom({ Authorization: 'Bearer b' })).toBe('Bearer b');
    expect(authorizationFrom({ authorization: 42 })).toBeUndefined();
    expect(authorizationFrom({ authorization: '' })).toBeUndefined();
    expect(authorizationFrom({ other: 'Bearer c' })).toBeUndefined();
    expect(authorizationFrom({})).toBeUndefined();
    expect(authorizationFrom(undefined)).toBeUndefined();
  });

  it("tokenExpiry reads a JWT's exp without verifying it", async () => {
    const before = Date.now();
    const token = await accessToken(60);
    const expiry = tokenExpiry(`Bearer ${token}`)!;
    expect(expiry).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 60_000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(expiry % 1000).toBe(0);
    // Signed with another key: still read, since judging tokens is the subgraphs' job.
    const foreign = await accessToken(120, signingKey());
    expect(tokenExpiry(`Bearer ${foreign}`)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 120_000);
    // An expired token still has an expiry (in the past): whoever bounds a stream with it ends it at once.
    expect(tokenExpiry(`Bearer ${await accessToken(-30)}`)).toBeLessThan(Date.now());
  });

  it('tokenExpiry is null for non-JWTs, malformed headers and for expiries further away than a timer can wait', async () => {
    expect(tokenExpiry(undefined)).toBeNull();
    expect(tokenExpiry('')).toBeNull();
    expect(tokenExpiry('Bearer not-a-jwt')).toBeNull();
    expect(tokenExpiry('Bearer a.b.c')).toBeNull();
    const token = await accessToken(60);
    // The token itself is readable, but not without the "Bearer " scheme.
    expect(tokenExpiry(token)).toBeNull();
    expect(tokenExpiry(`Basic ${token}`)).toBeNull();
    const weekLong = await accessToken(7 * 24 * 3600);
    expect(tokenExpiry(`Bearer ${weekLong}`)).not.toBeNull();
    const yearLong = await accessToken(365 * 24 * 3600);
    expect(tokenExpiry(`Bearer ${yearLong}`)).toBeNull();
  });

  it('tokenExpiry is null for a JWT without a numeric exp', () => {
    const unsigned = (payload: object) =>
      `Bearer ${Buffer.from(JSON.stringify({ alg: 'EdDSA' })).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.c2ln`;
    expect(tokenExpiry(unsigned({ sub: 'u1' }))).toBeNull();
    expect(tokenExpiry(unsigned({ sub: 'u1', exp: 'tomorrow' }))).toBeNull();
    // The same shape with a numeric exp is read, so the two above are null for their exp.
    const exp = Math.floor(Date.now() / 1000) + 60;
    expect(tokenExpiry(unsigned({ sub: 'u1', exp }))).toBe(exp * 1000);
  });
});
