// The supergraph's signing keys: one Ed25519 key per signer (the gateway for its subgraph
// credentials, the users subgraph for access tokens, the orders service for its calls to the
// catalog, the job worker for its calls to users), as JSON Web Keys in the environment. Each service gets the public keys it verifies
// with and its own signing key only.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Signer → the variables its private key and its public keys go in. */
export const KEY_VARIABLES = {
  gateway: { signing: 'GATEWAY_SIGNING_KEY', public: 'GATEWAY_PUBLIC_KEYS' },
  users: { signing: 'USER_TOKEN_SIGNING_KEY', public: 'USER_TOKEN_PUBLIC_KEYS' },
  orders: { signing: 'ORDERS_SERVICE_SIGNING_KEY', public: 'ORDERS_SERVICE_PUBLIC_KEYS' },
  worker: { signing: 'WORKER_SERVICE_SIGNING_KEY', public: 'WORKER_SERVICE_PUBLIC_KEYS' },
};

/** A fresh Ed25519 private JWK with a key id naming its signer and day. */
export function generateKey(signer) {
  const { privateKey } = generateKeyPairSync('ed25519');
  const kid = `${signer}-${new Date().toISOString().slice(0, 10)}-${randomBytes(3).toString('hex')}`;
  return { ...privateKey.export({ format: 'jwk' }), kid };
}

export function generateKeySet() {
  return Object.fromEntries(Object.keys(KEY_VARIABLES).map((signer) => [signer, generateKey(signer)]));
}

const publicPart = ({ kty, crv, x, kid }) => ({ kty, crv, x, kid });

/** Every key variable for a key set: each signer's private key and a JWK Set of its public key. */
export function keyEnv(keySet) {
  const env = {};
  for (const [signer, names] of Object.entries(KEY_VARIABLES)) {
    env[names.signing] = JSON.stringify(keySet[signer]);
    env[names.public] = JSON.stringify({ keys: [publicPart(keySet[signer])] });
  }
  return env;
}

/** `env` without the signing keys that are not `service`'s own: a service can never sign as another. */
export function withOwnSigningKeyOnly(service, env) {
  const result = { ...env };
  for (const [signer, names] of Object.entries(KEY_VARIABLES)) if (signer !== service) delete result[names.signing];
  return result;
}

/**
 * Development keys for `npm start`, made once and kept (mode 0600) so tokens survive restarts.
 * Production brings its own through the environment (`npm run keys` prints a set).
 */
export function developmentKeys(file) {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(generateKeySet(), null, 2), { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  const keys = JSON.parse(readFileSync(file, 'utf8'));
  // A file made before a signer existed gets that signer's key; the others are kept.
  const missing = Object.keys(KEY_VARIABLES).filter((signer) => !keys[signer]);
  if (missing.length > 0) {
    for (const signer of missing) keys[signer] = generateKey(signer);
    writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  }
  return keys;
}
