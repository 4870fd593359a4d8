// What both peer gateways share: the supergraph they serve, pointed at the bench's subgraphs, and
// the service credential every subgraph demands (README "Security"), made here with jose from
// GATEWAY_SIGNING_KEY exactly as our gateway's CredentialSigner makes it: EdDSA, issuer "gateway",
// audience the subgraph's name, 60 s. Peers are separate packages, so they cannot import ours.
import { readFileSync } from 'node:fs';
import { importJWK, SignJWT } from 'jose';

export const CREDENTIAL_HEADER = 'x-service-credential';
const TTL_SECONDS = 60;

/** The committed supergraph with each subgraph's routing URL replaced by <NAME>_URL from the environment. */
export function loadSupergraph(env = process.env) {
  const sdl = readFileSync(env.SUPERGRAPH_PATH, 'utf8');
  return sdl.replace(/@join__graph\(name: "(\w+)", url: "[^"]*"\)/g, (whole, name) => {
    const url = env[`${name.toUpperCase()}_URL`];
    return url ? `@join__graph(name: "${name}", url: "${url}")` : whole;
  });
}

/**
 * Credentials per subgraph, kept fresh by a timer so request hooks read them synchronously:
 * signing on every request would measure jose, not the gateway (ours reuses one for 30 s too).
 */
export async function startCredentials(subgraphs, env = process.env) {
  const jwk = JSON.parse(env.GATEWAY_SIGNING_KEY);
  const key = await importJWK(jwk, 'EdDSA');
  const current = new Map();
  const renew = async () => {
    for (const audience of subgraphs) {
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', kid: jwk.kid })
        .setIssuer('gateway')
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime(`${TTL_SECONDS}s`)
        .sign(key);
      current.set(audience, token);
    }
  };
  await renew();
  setInterval(() => void renew(), (TTL_SECONDS * 1000) / 2).unref();
  return (audience) => current.get(audience);
}

/** The line the bench waits for (the same one our services log), so it learns the port. */
export function announce(port) {
  console.log(JSON.stringify({ level: 30, msg: 'listening', port }));
}

export const SUBGRAPHS = ['users', 'catalog', 'orders'];
