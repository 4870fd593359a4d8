// For tests only: fresh keys without going through the environment.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { publicPart, type PrivateKeyJwk, type PublicKeyJwk } from './keys.js';

/** A fresh Ed25519 signing key with a random key id. */
export function testSigningKey(name = 'test'): PrivateKeyJwk {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  return { kty: 'OKP', crv: 'Ed25519', x: jwk.x, d: jwk.d, kid: `${name}-${randomBytes(3).toString('hex')}` };
}

/** The JWK Set a verifier of `keys` would be configured with. */
export function publicKeysOf(...keys: PrivateKeyJwk[]): PublicKeyJwk[] {
  return keys.map(publicPart);
}
