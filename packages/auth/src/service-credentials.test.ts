import { afterEach, describe, expect, it, vi } from 'vitest';
import { decodeJwt, decodeProtectedHeader, importJWK, SignJWT } from 'jose';
import {
  AccessTokenIssuer,
  CredentialSigner,
  CredentialVerifier,
  SERVICE_CREDENTIAL_HEADER,
  SERVICE_CREDENTIAL_PARAM,
  type PrivateKeyJwk,
} from './index.js';
import { publicKeysOf, testSigningKey } from './testing.js';

const gatewayKey = testSigningKey('gateway');
const ordersKey = testSigningKey('orders');
const usersKey = testSigningKey('users');

/** The users subgraph: trusts the gateway only. */
const users = new CredentialVerifier([{ issuer: 'gateway', audience: 'users', keys: publicKeysOf(gatewayKey) }]);

const NOT_TRUSTED = { problem: 'the service credential comes from a caller this service does not trust' };
const INVALID = { problem: 'the service credential is invalid or has expired' };

/** A credential with times chosen by the test (seconds since epoch), signed with `key`. */
async function craft(key: PrivateKeyJwk, claims: { iss: string; aud: string; iat: number; exp: number }): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(await importJWK(key, 'EdDSA'));
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

afterEach(() => {
  vi.useRealTimers();
});

describe('CredentialSigner', () => {
  it('signs a short-lived EdDSA credential naming the caller and the audience', async () => {
    const credential = await new CredentialSigner('gateway', gatewayKey).credentialFor('users');
    expect(decodeProtectedHeader(credential)).toEqual({ alg: 'EdDSA', kid: gatewayKey.kid });
    const payload = decodeJwt(credential);
    expect(payload).toMatchObject({ iss: 'gateway', aud: 'users' });
    expect(payload.exp! - payload.iat!).toBe(60);
    expect(Math.abs(payload.iat! - nowSeconds())).toBeLessThanOrEqual(1);
    expect(SERVICE_CREDENTIAL_HEADER).toBe('x-service-credential');
    expect(SERVICE_CREDENTIAL_PARAM).toBe('serviceCredential');
  });

  it('reuses a credential per audience until half its life has passed', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
    const signer = new CredentialSigner('gateway', gatewayKey);
    const first = await signer.credentialFor('users');
    expect(await signer.credentialFor('users')).toBe(first);
    const forCatalog = await signer.credentialFor('catalog');
    expect(forCatalog).not.toBe(first);
    expect(decodeJwt(forCatalog).aud).toBe('catalog');

    vi.advanceTimersByTime(29_000);
    expect(await signer.credentialFor('users')).toBe(first);
    expect(await users.verify(first)).toEqual({ caller: 'gateway' });

    vi.advanceTimersByTime(2_000);
    const renewed = await signer.credentialFor('users');
    expect(renewed).not.toBe(first);
    expect(decodeJwt(renewed).iat).toBe(decodeJwt(first).iat! + 31);
    expect(await users.verify(renewed)).toEqual({ caller: 'gateway' });
    // Each audience is renewed on its own clock.
    expect(await signer.credentialFor('catalog')).not.toBe(forCatalog);
  });
});

describe('CredentialVerifier', () => {
  it('accepts a credential from a trusted caller for this audience', async () => {
    const credential = await new CredentialSigner('gateway', gatewayKey).credentialFor('users');
    expect(await users.verify(credential)).toEqual({ caller: 'gateway' });
    // A second time (from its cache) with the same answer.
    expect(await users.verify(credential)).toEqual({ caller: 'gateway' });
  });

  it('refuses a request without a credential', async () => {
    for (const credential of [undefined, '']) {
      expect(await users.verify(credential)).toEqual({ problem: expect.stringContaining('no service credential was sent') });
    }
  });

  it('refuses garbage', async () => {
    for (const credential of ['garbage', 'a.b.c', 'Bearer x', '...']) {
      expect(await users.verify(credential), credential).toEqual({ problem: 'the service credential is not a JWT' });
    }
  });

  it('refuses a credential from a caller it does not know', async () => {
    const credential = await new CredentialSigner('stranger', testSigningKey('stranger')).credentialFor('users');
    expect(await users.verify(credential)).toEqual(NOT_TRUSTED);
    // Even one signed with a trusted key: the issuer is the caller.
    expect(await users.verify(await new CredentialSigner('orders', gatewayKey).credentialFor('users'))).toEqual(NOT_TRUSTED);
  });

  it('refuses the right issuer signed with another key, whatever kid it names', async () => {
    const impostor = testSigningKey('impostor');
    expect(await users.verify(await new CredentialSigner('gateway', impostor).credentialFor('users'))).toEqual(INVALID);
    const posing = await new CredentialSigner('gateway', { ...impostor, kid: gatewayKey.kid }).credentialFor('users');
    expect(await users.verify(posing)).toEqual(INVALID);
  });

  it('refuses a credential for another audience', async () => {
    const catalog = new CredentialVerifier([{ issuer: 'gateway', audience: 'catalog', keys: publicKeysOf(gatewayKey) }]);
    const forUsers = await new CredentialSigner('gateway', gatewayKey).credentialFor('users');
    expect(await catalog.verify(forUsers)).toEqual(INVALID);
    // Verified (and cached) by users first, it is still refused by catalog.
    expect(await users.verify(forUsers)).toEqual({ caller: 'gateway' });
    expect(await catalog.verify(forUsers)).toEqual(INVALID);
  });

  it('refuses an expired credential, and one issued too long ago', async () => {
    const now = nowSeconds();
    // The helper makes credentials the verifier accepts: the times below are the reason for each refusal.
    expect(await users.verify(await craft(gatewayKey, { iss: 'gateway', aud: 'users', iat: now, exp: now + 60 }))).toEqual({
      caller: 'gateway',
    });
    expect(await users.verify(await craft(gatewayKey, { iss: 'gateway', aud: 'users', iat: now - 120, exp: now - 60 }))).toEqual(INVALID);
    // Not expired, but older than any credential a signer makes: a hand-made long-lived one.
    expect(await users.verify(await craft(gatewayKey, { iss: 'gateway', aud: 'users', iat: now - 3600, exp: now + 3600 }))).toEqual(
      INVALID,
    );
  });

  it('refuses a cached credential once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: new Date('2030-01-01T00:00:00Z') });
    const verifier = new CredentialVerifier([{ issuer: 'gateway', audience: 'users', keys: publicKeysOf(gatewayKey) }]);
    const credential = await new CredentialSigner('gateway', gatewayKey).credentialFor('users');
    expect(await verifier.verify(credential)).toEqual({ caller: 'gateway' });
    vi.advanceTimersByTime(59_000);
    expect(await verifier.verify(credential)).toEqual({ caller: 'gateway' });
    vi.advanceTimersByTime(2_000);
    expect(await verifier.verify(credential)).toEqual(INVALID);
  });

  it('refuses an HS256 credential and an unsigned one', async () => {
    const now = nowSeconds();
    const hs256 = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: gatewayKey.kid })
      .setIssuer('gateway')
      .setAudience('users')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(new TextEncoder().encode(gatewayKey.x));
    expect(await users.verify(hs256)).toEqual(INVALID);
    const unsigned = [{ alg: 'none' }, { iss: 'gateway', aud: 'users', iat: now, exp: now + 60 }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString('base64url'))
      .join('.');
    expect(await users.verify(`${unsigned}.`)).toEqual(INVALID);
  });

  it('refuses a user access token, even when its issuer is a trusted caller', async () => {
    const { token } = await new AccessTokenIssuer(usersKey).issue({ id: 'admin-1', role: 'ADMIN' }, 's1');
    expect(await users.verify(token)).toEqual(NOT_TRUSTED);
    const catalog = new CredentialVerifier([{ issuer: 'users', audience: 'catalog', keys: publicKeysOf(usersKey) }]);
    expect(await catalog.verify(token)).toEqual(INVALID);
    // The users service's own credential for catalog is accepted, so the token is refused for being a token.
    expect(await catalog.verify(await new CredentialSigner('users', usersKey).credentialFor('catalog'))).toEqual({ caller: 'users' });
  });

  it('tells two trusted callers apart by issuer, key and audience', async () => {
    const catalog = new CredentialVerifier([
      { issuer: 'gateway', audience: 'catalog', keys: publicKeysOf(gatewayKey) },
      { issuer: 'orders', audience: 'catalog-internal', keys: publicKeysOf(ordersKey) },
    ]);
    const gateway = new CredentialSigner('gateway', gatewayKey);
    const orders = new CredentialSigner('orders', ordersKey);
    expect(await catalog.verify(await gateway.credentialFor('catalog'))).toEqual({ caller: 'gateway' });
    expect(await catalog.verify(await orders.credentialFor('catalog-internal'))).toEqual({ caller: 'orders' });
    // Each caller for the other's audience.
    expect(await catalog.verify(await gateway.credentialFor('catalog-internal'))).toEqual(INVALID);
    expect(await catalog.verify(await orders.credentialFor('catalog'))).toEqual(INVALID);
    // The orders key cannot claim to be the gateway, for either audience.
    const posing = new CredentialSigner('gateway', ordersKey);
    expect(await catalog.verify(await posing.credentialFor('catalog'))).toEqual(INVALID);
    expect(await catalog.verify(await posing.credentialFor('catalog-internal'))).toEqual(INVALID);
    // Nor with the gateway's kid in its header.
    const posingKid = new CredentialSigner('gateway', { ...ordersKey, kid: gatewayKey.kid });
    expect(await catalog.verify(await posingKid.credentialFor('catalog'))).toEqual(INVALID);
  });

  it("accepts either of a caller's keys during a rotation", async () => {
    const next = testSigningKey('gateway-next');
    const during = new CredentialVerifier([{ issuer: 'gateway', audience: 'users', keys: publicKeysOf(gatewayKey, next) }]);
    const after = new CredentialVerifier([{ issuer: 'gateway', audience: 'users', keys: publicKeysOf(next) }]);
    const fromOld = await new CredentialSigner('gateway', gatewayKey).credentialFor('users');
    const fromNew = await new CredentialSigner('gateway', next).credentialFor('users');
    expect(await during.verify(fromOld)).toEqual({ caller: 'gateway' });
    expect(await during.verify(fromNew)).toEqual({ caller: 'gateway' });
    expect(await after.verify(fromOld)).toEqual(INVALID);
    expect(await after.verify(fromNew)).toEqual({ caller: 'gateway' });
  });

  it('keeps answering correctly past the size of its cache', async () => {
    const verifier = new CredentialVerifier([{ issuer: 'gateway', audience: 'users', keys: publicKeysOf(gatewayKey) }]);
    const now = nowSeconds();
    // 100 distinct valid credentials (more than the verifier remembers), each verified twice.
    const credentials = await Promise.all(
      Array.from({ length: 100 }, (_, i) => craft(gatewayKey, { iss: 'gateway', aud: 'users', iat: now, exp: now + 10 + i })),
    );
    expect(new Set(credentials).size).toBe(100);
    for (const credential of [...credentials, ...credentials]) expect(await verifier.verify(credential)).toEqual({ caller: 'gateway' });
    const forged = await craft(testSigningKey('forger'), { iss: 'gateway', aud: 'users', iat: now, exp: now + 60 });
    expect(await verifier.verify(forged)).toEqual(INVALID);
  });
});
