import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { bearerToken } from './bearer.js';
import type { AuthState, Viewer } from './viewer.js';

const ISSUER = 'supergraph';
const CLIENT_AUDIENCE = 'supergraph-client';
const INTERNAL_AUDIENCE = 'supergraph-internal';

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds = 7 * 24 * 3600,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /** A client token: sub = user id, role claim, expiry. */
  async issue(viewer: Viewer): Promise<string> {
    return new SignJWT({ role: viewer.role })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(viewer.id)
      .setIssuer(ISSUER)
      .setAudience(CLIENT_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(this.key);
  }

  /** A short-lived token one service uses to call another's internal operations. */
  async issueInternal(service: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(service)
      .setIssuer(ISSUER)
      .setAudience(INTERNAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(this.key);
  }

  async verifyInternal(authorization: string | undefined): Promise<string | null> {
    const token = bearerToken(authorization);
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: INTERNAL_AUDIENCE, algorithms: ['HS256'] });
      return payload.sub ?? null;
    } catch {
      return null;
    }
  }

  /** Reads the Authorization header. Never throws: problems are kept for `requireViewer`. */
  async authenticate(authorization: string | undefined): Promise<AuthState> {
    if (authorization === undefined || authorization === '') return { viewer: null, tokenProblem: null };
    const token = bearerToken(authorization);
    if (!token) return { viewer: null, tokenProblem: 'the Authorization header must be "Bearer <token>"' };
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: CLIENT_AUDIENCE, algorithms: ['HS256'] });
      const role = payload.role;
      if (typeof payload.sub !== 'string' || (role !== 'CUSTOMER' && role !== 'ADMIN')) {
        return { viewer: null, tokenProblem: 'the token does not name a user and role' };
      }
      return { viewer: { id: payload.sub, role }, tokenProblem: null };
    } catch (error) {
      const problem = error instanceof joseErrors.JWTExpired ? 'the token has expired; log in again' : 'the token is invalid';
      return { viewer: null, tokenProblem: problem };
    }
  }
}
