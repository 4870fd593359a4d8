import { createPrivateKey, createPublicKey } from 'node:crypto';
import { ConfigError, type Env } from '@supergraph/runtime';

/**
 * Ed25519 keys as JSON Web Keys, read from the environment. Each carries a key id (`kid`) so a
 * verifier can hold two public keys at once while a signer moves from the old one to the new one.
 */
export interface PublicKeyJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
}

export interface PrivateKeyJwk extends PublicKeyJwk {
  d: string;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

function parseJson(env: Env, name: string): unknown {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '')
    throw new ConfigError(`${name} is required but not set (see .env.example: npm run keys prints a set)`);
  try {
    return JSON.parse(raw);
  } catch {
    // The value may be a private key: never echo it.
    throw new ConfigError(`${name} must be JSON (a JSON Web Key); it could not be parsed`);
  }
}

function asPublicJwk(value: unknown, where: string): PublicKeyJwk {
  const jwk = value as Record<string, unknown> | null;
  if (jwk === null || typeof jwk !== 'object') throw new ConfigError(`${where} must be a JSON Web Key object`);
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new ConfigError(`${where} must be an Ed25519 key ("kty":"OKP","crv":"Ed25519")`);
  if (typeof jwk.x !== 'string' || !BASE64URL.test(jwk.x)) throw new ConfigError(`${where} needs its public part "x" (base64url)`);
  if (typeof jwk.kid !== 'string' || jwk.kid.trim() === '') throw new ConfigError(`${where} needs a key id "kid", so keys can be rotated`);
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, kid: jwk.kid };
}

/** A signing key: an Ed25519 private JWK with a `kid`. */
export function readPrivateKey(env: Env, name: string): PrivateKeyJwk {
  const value = parseJson(env, name);
  const jwk = asPublicJwk(value, name);
  const d = (value as Record<string, unknown>).d;
  if (typeof d !== 'string' || !BASE64URL.test(d))
    throw new ConfigError(`${name} must be a private key (with "d"); this one holds only a public part`);
  // A private part that does not belong to the public one would only fail at the first signature.
  let derivedX: unknown;
  try {
    derivedX = createPublicKey(createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d }, format: 'jwk' })).export({
      format: 'jwk',
    }).x;
  } catch {
    derivedX = undefined;
  }
  if (derivedX !== jwk.x)
    throw new ConfigError(`${name} is not a usable Ed25519 key: its private part "d" does not match its public part "x"`);
  return { ...jwk, d };
}

/**
 * Verification keys: a JWK Set (`{"keys":[…]}`) or a plain array of public JWKs. Refuses private
 * parts, so a verifier's configuration can never be used to sign.
 */
export function readPublicKeys(env: Env, name: string, options: { optional?: boolean } = {}): PublicKeyJwk[] {
  if (options.optional && (env[name] === undefined || env[name].trim() === '')) return [];
  const value = parseJson(env, name);
  const list = Array.isArray(value) ? value : (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list) || list.length === 0) throw new ConfigError(`${name} must be a JWK Set {"keys":[…]} with at least one key`);
  const keys = list.map((entry, index) => {
    if (entry && typeof entry === 'object' && 'd' in entry) {
      throw new ConfigError(`${name} key ${index} holds a private part ("d"): give verifiers public keys only`);
    }
    return asPublicJwk(entry, `${name} key ${index}`);
  });
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new ConfigError(`${name} has two keys with the same "kid"`);
  return keys;
}

/** The public part of a signing key. */
export function publicPart(key: PrivateKeyJwk): PublicKeyJwk {
  return { kty: key.kty, crv: key.crv, x: key.x, kid: key.kid };
}

/** Public keys plus the signer's own (a signer always accepts what it signs), without duplicate ids. */
export function withOwnKey(keys: PublicKeyJwk[], own: PrivateKeyJwk): PublicKeyJwk[] {
  const sameId = keys.find((k) => k.kid === own.kid);
  if (sameId && sameId.x !== own.x)
    throw new ConfigError(`the public keys name "${own.kid}" for another key than the signing key of that id`);
  return sameId ? keys : [...keys, publicPart(own)];
}
