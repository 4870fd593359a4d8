#!/usr/bin/env node
// `npm run keys`: prints a fresh set of signing keys as environment variables, for a deployment's
// secret store. Give each service only its own *_SIGNING_KEY (see .env.example); every
// *_PUBLIC_KEYS may go everywhere. To rotate, add the new public key next to the old one in the
// JWK Set, deploy, switch the signer to the new private key, and drop the old public key once the
// tokens it signed have expired.
import { generateKeySet, keyEnv } from './lib/keys.mjs';

for (const [name, value] of Object.entries(keyEnv(generateKeySet()))) console.log(`${name}='${value}'`);
