import { configErrorMessage } from '@supergraph/runtime/testing';
import { ConfigError } from '@supergraph/runtime';
import { describe, expect, it } from 'vitest';
import { publicPart, readPrivateKey, readPublicKeys, withOwnKey } from './index.js';
import { testSigningKey } from './testing.js';

const key = testSigningKey('signer');
const other = testSigningKey('other');
const env = (value: unknown, name = 'KEY') => ({ [name]: typeof value === 'string' ? value : JSON.stringify(value) });

describe('readPrivateKey', () => {
  it('reads an Ed25519 private JWK with a kid, keeping only the key fields', () => {
    expect(readPrivateKey(env(key), 'KEY')).toEqual(key);
    expect(readPrivateKey(env({ ...key, use: 'sig', alg: 'EdDSA' }), 'KEY')).toEqual(key);
  });

  it('names the variable when it is missing or blank', () => {
    for (const value of [{}, { KEY: '' }, { KEY: '   ' }]) {
      const message = configErrorMessage(() => readPrivateKey(value, 'USER_TOKEN_SIGNING_KEY'));
      expect(message).toContain('USER_TOKEN_SIGNING_KEY');
      expect(message).toMatch(/required/);
    }
  });

  it('refuses a value that is not JSON without echoing it', () => {
    const secret = 'SUPER-SECRET-d-value-Zm9vYmFy';
    const raw = `{"kty":"OKP","crv":"Ed25519","d":"${secret}",`;
    let error: unknown;
    try {
      readPrivateKey({ SIGNING_KEY: raw }, 'SIGNING_KEY');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { message, cause, stack } = error as Error;
    expect(message).toContain('SIGNING_KEY');
    expect(message).toMatch(/JSON/);
    expect(message).not.toContain(secret);
    expect(String(stack)).not.toContain(secret);
    expect(cause).toBeUndefined();
    // A raw base64 secret, as someone might paste instead of a JWK.
    expect(configErrorMessage(() => readPrivateKey({ K: secret }, 'K'))).not.toContain(secret);
  });

  it('refuses keys of another type or curve', () => {
    for (const wrong of [
      { ...key, kty: 'EC' },
      { ...key, crv: 'Ed448' },
      { ...key, crv: 'X25519' },
      { kty: 'oct', k: 'c2VjcmV0', kid: 'k' },
    ]) {
      expect(
        configErrorMessage(() => readPrivateKey(env(wrong), 'KEY')),
        JSON.stringify(wrong),
      ).toMatch(/Ed25519/);
    }
  });

  it('refuses a key without a kid, or with a blank one', () => {
    const { kid: _kid, ...withoutKid } = key;
    expect(configErrorMessage(() => readPrivateKey(env(withoutKid), 'KEY'))).toMatch(/kid/);
    expect(configErrorMessage(() => readPrivateKey(env({ ...key, kid: '  ' }), 'KEY'))).toMatch(/kid/);
    expect(configErrorMessage(() => readPrivateKey(env({ ...key, kid: 7 }), 'KEY'))).toMatch(/kid/);
  });

  it('refuses a public-only JWK, or a malformed "d" or "x", without echoing the key', () => {
    expect(configErrorMessage(() => readPrivateKey(env(publicPart(key)), 'KEY'))).toMatch(/private key/);
    const badD = configErrorMessage(() => readPrivateKey(env({ ...key, d: `${key.d}+/=` }), 'KEY'));
    expect(badD).toMatch(/"d"/);
    expect(badD).not.toContain(key.d);
    const { x: _x, ...withoutX } = key;
    expect(configErrorMessage(() => readPrivateKey(env(withoutX), 'KEY'))).toMatch(/"x"/);
    expect(configErrorMessage(() => readPrivateKey(env({ ...key, x: 'not base64url!' }), 'KEY'))).toMatch(/"x"/);
  });

  it('refuses JSON that is not one JWK (a set, an array, null, a string)', () => {
    for (const value of [{ keys: [key] }, [key], null, '"a string"', 42]) {
      expect(() => readPrivateKey(env(value), 'KEY'), JSON.stringify(value)).toThrow(ConfigError);
    }
  });
});

describe('readPublicKeys', () => {
  it('reads a JWK Set or a plain array of public JWKs', () => {
    expect(readPublicKeys(env({ keys: [publicPart(key)] }), 'KEY')).toEqual([publicPart(key)]);
    expect(readPublicKeys(env([publicPart(key), publicPart(other)]), 'KEY')).toEqual([publicPart(key), publicPart(other)]);
    const extra = { ...publicPart(key), use: 'sig', alg: 'EdDSA' };
    expect(readPublicKeys(env({ keys: [extra] }), 'KEY')).toEqual([publicPart(key)]);
  });

  it('refuses a bare JWK, an empty set and values that are not sets', () => {
    for (const value of [publicPart(key), { keys: [] }, [], { keys: 'k' }, null, '"x"']) {
      expect(
        configErrorMessage(() => readPublicKeys(env(value), 'KEY')),
        JSON.stringify(value),
      ).toMatch(/JWK Set/);
    }
  });

  it('names the variable when it is missing, unless optional', () => {
    expect(configErrorMessage(() => readPublicKeys({}, 'GATEWAY_PUBLIC_KEYS'))).toContain('GATEWAY_PUBLIC_KEYS');
    expect(readPublicKeys({}, 'GATEWAY_PUBLIC_KEYS', { optional: true })).toEqual([]);
    expect(readPublicKeys({ GATEWAY_PUBLIC_KEYS: '' }, 'GATEWAY_PUBLIC_KEYS', { optional: true })).toEqual([]);
    expect(readPublicKeys({ GATEWAY_PUBLIC_KEYS: '  ' }, 'GATEWAY_PUBLIC_KEYS', { optional: true })).toEqual([]);
    // Optional means "may be absent", not "may be wrong".
    expect(() => readPublicKeys({ GATEWAY_PUBLIC_KEYS: 'nope' }, 'GATEWAY_PUBLIC_KEYS', { optional: true })).toThrow(ConfigError);
    expect(readPublicKeys(env([publicPart(key)]), 'KEY', { optional: true })).toEqual([publicPart(key)]);
  });

  it('refuses non-JSON without echoing it', () => {
    const message = configErrorMessage(() => readPublicKeys({ KEYS: '{"keys":[SECRET-looking-value' }, 'KEYS'));
    expect(message).toContain('KEYS');
    expect(message).not.toContain('SECRET-looking-value');
  });

  it('refuses a private key in the set, and says which one', () => {
    const message = configErrorMessage(() => readPublicKeys(env({ keys: [publicPart(other), key] }, 'KEYS'), 'KEYS'));
    expect(message).toMatch(/key 1/);
    expect(message).toMatch(/private/);
    expect(message).not.toContain(key.d);
  });

  it('refuses keys of another type or curve, or without a kid, naming the entry', () => {
    const { kid: _kid, ...withoutKid } = publicPart(key);
    for (const [entry, pattern] of [
      [{ ...publicPart(key), kty: 'RSA' }, /Ed25519/],
      [{ ...publicPart(key), crv: 'P-256' }, /Ed25519/],
      [withoutKid, /kid/],
      ['not-an-object', /JSON Web Key/],
      [null, /JSON Web Key/],
    ] as const) {
      const message = configErrorMessage(() => readPublicKeys(env({ keys: [publicPart(other), entry] }, 'KEYS'), 'KEYS'));
      expect(message, JSON.stringify(entry)).toMatch(pattern);
      expect(message).toContain('KEYS key 1');
    }
  });

  it('refuses two keys with the same kid', () => {
    const twin = { ...publicPart(other), kid: key.kid };
    expect(configErrorMessage(() => readPublicKeys(env({ keys: [publicPart(key), twin] }, 'KEYS'), 'KEYS'))).toMatch(/same "kid"/);
  });
});

describe('publicPart and withOwnKey', () => {
  it('publicPart drops the private part', () => {
    expect(publicPart(key)).toEqual({ kty: 'OKP', crv: 'Ed25519', x: key.x, kid: key.kid });
    expect(publicPart(key)).not.toHaveProperty('d');
  });

  it("withOwnKey adds the signer's public part once", () => {
    const configured = [publicPart(other)];
    const keys = withOwnKey(configured, key);
    expect(keys).toEqual([publicPart(other), publicPart(key)]);
    expect(keys.some((k) => 'd' in k)).toBe(false);
    // The input is not changed, and adding again does not duplicate.
    expect(configured).toEqual([publicPart(other)]);
    expect(withOwnKey(keys, key)).toEqual(keys);
    expect(withOwnKey([], key)).toEqual([publicPart(key)]);
    expect(withOwnKey([publicPart(key), publicPart(other)], key)).toEqual([publicPart(key), publicPart(other)]);
  });
});

describe('keys that do not fit together', () => {
  it('refuses a private key whose private part belongs to another key, without echoing either', () => {
    const mixed = { ...key, d: other.d };
    const message = configErrorMessage(() => readPrivateKey(env(mixed, 'GATEWAY_SIGNING_KEY'), 'GATEWAY_SIGNING_KEY'));
    expect(message).toContain('GATEWAY_SIGNING_KEY');
    expect(message).toMatch(/does not match/);
    expect(message).not.toContain(other.d);
  });

  it("refuses public keys that give the signing key's id to another key", () => {
    expect(() => withOwnKey([{ ...publicPart(other), kid: key.kid }], key)).toThrow(ConfigError);
    expect(withOwnKey([publicPart(key)], key)).toEqual([publicPart(key)]);
  });
});
