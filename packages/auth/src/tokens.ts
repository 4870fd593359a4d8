import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, errors as joseErrors, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { bearerToken } from './bearer.js';
import type { PrivateKeyJwk, PublicKeyJwk } from './keys.js';
import type { AuthState, Viewer } from './viewer.js';

/** Access tokens are issued by the users subgraph for every client of the supergraph. */
export const ACCESS_TOKEN_ISSUER = 'users';
const CLIENT_AUDIENCE = 'supergraph-client';
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 15 * 60;

export interface IssuedAccessToken {
  token: string;
  expiresAt: Date;
}

/**
 * Signs access tokens with the users subgraph's private key: only the service holding
 * USER_TOKEN_SIGNING_KEY can make one; every other service holds the public part only.
 */
export class AccessTokenIssuer {
  private key: Promise<CryptoKey | Uint8Array> | null = null;

  constructor(
    private readonly jwk: PrivateKeyJwk,
    private readonly ttlSeconds = DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
  ) {}

  /** A token naming the user, their role and (when there is one) the session it belongs to. */
  async issue(viewer: Viewer, sessionId?: string): Promise<IssuedAccessToken> {
    this.key ??= importJWK(this.jwk, 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const exp = now + this.ttlSeconds;
    const token = await new SignJWT({ role: viewer.role, ...(sessionId ? { sid: sessionId } : {}) })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.jwk.kid })
      // Unique even for two tokens of one session issued in the same second.
      .setJti(randomUUID())
      .setSubject(viewer.id)
      .setIssuer(ACCESS_TOKEN_ISSUER)
      .setAudience(CLIENT_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(exp)
      .sign(await this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }
}

/** Checks access tokens with public keys only (every subgraph and the gateway). */
export class AccessTokenVerifier {
  private readonly keys: ReturnType<typeof createLocalJWKSet>;

  constructor(keys: PublicKeyJwk[]) {
    this.keys = createLocalJWKSet({ keys });
  }

  /** Reads the Authorization header. Never throws: problems are kept for `requireViewer`. */
  async authenticate(authorization: string | undefined): Promise<AuthState> {
    if (authorization === undefined || authorization === '') return { viewer: null, tokenProblem: null };
    const token = bearerToken(authorization);
    if (!token) return { viewer: null, tokenProblem: 'the Authorization header must be "Bearer <token>"' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        issuer: ACCESS_TOKEN_ISSUER,
        audience: CLIENT_AUDIENCE,
        algorithms: ['EdDSA'],
        requiredClaims: ['exp', 'iat'],
      }));
    } catch (error) {
      const problem =
        error instanceof joseErrors.JWTExpired ? 'the token has expired; refresh the session or log in again' : 'the token is invalid';
      return { viewer: null, tokenProblem: problem };
    }
    const role = payload.role;
    if (typeof payload.sub !== 'string' || (role !== 'CUSTOMER' && role !== 'ADMIN')) {
      return { viewer: null, tokenProblem: 'the token does not name a user and role' };
    }
    return {
      viewer: { id: payload.sub, role },
      tokenProblem: null,
      token: {
        sessionId: typeof payload.sid === 'string' ? payload.sid : null,
        issuedAt: payload.iat! * 1000,
        expiresAt: payload.exp! * 1000,
      },
    };
  }
}
