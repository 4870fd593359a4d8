import { createLocalJWKSet, decodeJwt, importJWK, jwtVerify, SignJWT, type CryptoKey } from 'jose';
import type { PrivateKeyJwk, PublicKeyJwk } from './keys.js';

/**
 * The header (HTTP) and connection_init field (graphql-ws) that carry a service credential: a
 * short-lived EdDSA JWT naming the calling service (`iss`) and the one service it is for (`aud`).
 */
export const SERVICE_CREDENTIAL_HEADER = 'x-service-credential';
export const SERVICE_CREDENTIAL_PARAM = 'serviceCredential';

/** Lifetime of a credential; a signer reuses one until half of it has passed. */
const CREDENTIAL_TTL_SECONDS = 60;

/** Issues credentials for one calling service. Signing per request would cost more than the call it guards. */
export class CredentialSigner {
  private key: Promise<CryptoKey | Uint8Array> | null = null;
  private readonly cache = new Map<string, { token: string; renewAt: number }>();

  constructor(
    readonly issuer: string,
    private readonly jwk: PrivateKeyJwk,
  ) {}

  async credentialFor(audience: string): Promise<string> {
    const cached = this.cache.get(audience);
    if (cached && cached.renewAt > Date.now()) return cached.token;
    this.key ??= importJWK(this.jwk, 'EdDSA');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: this.jwk.kid })
      .setIssuer(this.issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(`${CREDENTIAL_TTL_SECONDS}s`)
      .sign(await this.key);
    this.cache.set(audience, { token, renewAt: Date.now() + (CREDENTIAL_TTL_SECONDS * 1000) / 2 });
    return token;
  }
}

/** A service this one accepts calls from: its name, its public keys, and the audience its credentials must name. */
export interface TrustedCaller {
  issuer: string;
  audience: string;
  keys: PublicKeyJwk[];
}

export type CredentialCheck = { caller: string } | { problem: string };

/** How many verified credentials to remember: a few per calling service and audience is plenty. */
const VERIFIED_CACHE_SIZE = 64;

/** Checks service credentials against the callers a service trusts. */
export class CredentialVerifier {
  private readonly callers: Map<string, { audience: string; keys: ReturnType<typeof createLocalJWKSet> }>;
  /** Credentials already verified, until they expire: a signer reuses each for 30 s, and verifying costs ~0.3 ms. */
  private readonly verified = new Map<string, { caller: string; expiresAt: number }>();

  constructor(trusted: TrustedCaller[]) {
    this.callers = new Map(trusted.map((t) => [t.issuer, { audience: t.audience, keys: createLocalJWKSet({ keys: t.keys }) }]));
  }

  async verify(credential: string | undefined): Promise<CredentialCheck> {
    if (!credential) return { problem: 'this service accepts requests only from the gateway: no service credential was sent' };
    const known = this.verified.get(credential);
    if (known && known.expiresAt > Date.now()) return { caller: known.caller };
    let issuer: unknown;
    try {
      issuer = decodeJwt(credential).iss;
    } catch {
      return { problem: 'the service credential is not a JWT' };
    }
    const trusted = typeof issuer === 'string' ? this.callers.get(issuer) : undefined;
    if (!trusted || typeof issuer !== 'string')
      return { problem: 'the service credential comes from a caller this service does not trust' };
    try {
      const { payload } = await jwtVerify(credential, trusted.keys, {
        issuer,
        audience: trusted.audience,
        algorithms: ['EdDSA'],
        requiredClaims: ['exp', 'iat'],
        maxTokenAge: `${CREDENTIAL_TTL_SECONDS + 5}s`,
      });
      this.remember(credential, issuer, payload.exp! * 1000);
      return { caller: issuer };
    } catch {
      return { problem: 'the service credential is invalid or has expired' };
    }
  }

  private remember(credential: string, caller: string, expiresAt: number): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      for (const [token, entry] of this.verified) if (entry.expiresAt <= Date.now()) this.verified.delete(token);
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    }
    this.verified.set(credential, { caller, expiresAt });
  }
}
