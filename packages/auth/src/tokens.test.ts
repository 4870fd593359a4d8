import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { decodeJwt, SignJWT } from 'jose';
import { requireAdmin, requireSelfOrAdmin, requireViewer, TokenService, type AuthState } from './index.js';

const SECRET = 'unit-test-secret-'.padEnd(40, 'x');
const tokens = new TokenService(SECRET);
const key = new TextEncoder().encode(SECRET);

/** A token signed with the service's key, with claims chosen by the test. */
function craft(claims: Record<string, unknown>, options: { sub?: string; aud?: string; iss?: string; alg?: string; exp?: string } = {}) {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'HS256' })
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '1h');
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  jwt = jwt.setIssuer(options.iss ?? 'supergraph').setAudience(options.aud ?? 'supergraph-client');
  return jwt.sign(key);
}

function codeOf(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    return { code: (error as GraphQLError).extensions.code, message: (error as GraphQLError).message };
  }
  throw new Error('expected the call to throw');
}

describe('TokenService client tokens', () => {
  it('round-trips a viewer through issue and authenticate', async () => {
    const token = await tokens.issue({ id: 'user-1', role: 'CUSTOMER' });
    expect(await tokens.authenticate(`Bearer ${token}`)).toEqual({ viewer: { id: 'user-1', role: 'CUSTOMER' }, tokenProblem: null });
    const admin = await tokens.issue({ id: 'user-2', role: 'ADMIN' });
    expect((await tokens.authenticate(`Bearer ${admin}`)).viewer).toEqual({ id: 'user-2', role: 'ADMIN' });
  });

  it('accepts the scheme in any case', async () => {
    const token = await tokens.issue({ id: 'u', role: 'CUSTOMER' });
    expect((await tokens.authenticate(`bearer ${token}`)).viewer?.id).toBe('u');
  });

  it('treats a missing header as anonymous, not as a problem', async () => {
    expect(await tokens.authenticate(undefined)).toEqual({ viewer: null, tokenProblem: null });
    expect(await tokens.authenticate('')).toEqual({ viewer: null, tokenProblem: null });
  });

  it('reports a header that is not "Bearer <token>"', async () => {
    const token = await tokens.issue({ id: 'u', role: 'CUSTOMER' });
    for (const header of [token, `Basic ${token}`, 'Bearer', `Bearer ${token} extra`]) {
      const state = await tokens.authenticate(header);
      expect(state.viewer).toBeNull();
      expect(state.tokenProblem).toMatch(/Bearer <token>/);
    }
  });

  it('reports a tampered token as invalid', async () => {
    const token = await tokens.issue({ id: 'user-1', role: 'CUSTOMER' });
    const [header, , signature] = token.split('.');
    const forgedPayload = Buffer.from(
      JSON.stringify({ sub: 'user-1', role: 'ADMIN', iss: 'supergraph', aud: 'supergraph-client', exp: 9999999999 }),
    ).toString('base64url');
    const forged = await tokens.authenticate(`Bearer ${header}.${forgedPayload}.${signature}`);
    expect(forged).toEqual({ viewer: null, tokenProblem: 'the token is invalid' });

    // Change one character in the middle of the signature (the last one carries padding bits).
    const middle = Math.floor(signature.length / 2);
    const flipped = signature.slice(0, middle) + (signature[middle] === 'A' ? 'B' : 'A') + signature.slice(middle + 1);
    expect((await tokens.authenticate(`Bearer ${header}.${token.split('.')[1]}.${flipped}`)).tokenProblem).toBe('the token is invalid');
  });

  it('refuses a token signed with another secret', async () => {
    const other = await new TokenService('another-secret-'.padEnd(40, 'y')).issue({ id: 'u', role: 'ADMIN' });
    expect(await tokens.authenticate(`Bearer ${other}`)).toEqual({ viewer: null, tokenProblem: 'the token is invalid' });
  });

  it('reports an expired token as expired', async () => {
    const expired = await new TokenService(SECRET, -10).issue({ id: 'u', role: 'CUSTOMER' });
    const state = await tokens.authenticate(`Bearer ${expired}`);
    expect(state.viewer).toBeNull();
    expect(state.tokenProblem).toMatch(/expired/);
  });

  it('refuses tokens without a subject or with an unknown role', async () => {
    for (const token of [await craft({ role: 'CUSTOMER' }), await craft({ role: 'ROOT' }, { sub: 'u' }), await craft({}, { sub: 'u' })]) {
      expect(await tokens.authenticate(`Bearer ${token}`)).toEqual({
        viewer: null,
        tokenProblem: 'the token does not name a user and role',
      });
    }
  });

  it('refuses a wrong issuer or algorithm even with the right key', async () => {
    expect((await tokens.authenticate(`Bearer ${await craft({ role: 'ADMIN' }, { sub: 'u', iss: 'someone-else' })}`)).viewer).toBeNull();
    expect((await tokens.authenticate(`Bearer ${await craft({ role: 'ADMIN' }, { sub: 'u', alg: 'HS512' })}`)).viewer).toBeNull();
    // The same claims with the expected issuer and algorithm do pass, so the checks above are the reason.
    expect((await tokens.authenticate(`Bearer ${await craft({ role: 'ADMIN' }, { sub: 'u' })}`)).viewer).toEqual({
      id: 'u',
      role: 'ADMIN',
    });
  });

  it('sets a 7-day expiry by default', async () => {
    const token = await tokens.issue({ id: 'u', role: 'CUSTOMER' });
    const payload = decodeJwt(token);
    expect(payload.exp! - payload.iat!).toBe(7 * 24 * 3600);
    expect(payload).toMatchObject({ sub: 'u', role: 'CUSTOMER', iss: 'supergraph', aud: 'supergraph-client' });
  });
});

describe('TokenService internal tokens', () => {
  it('round-trips the calling service through issueInternal and verifyInternal', async () => {
    const token = await tokens.issueInternal('orders');
    expect(await tokens.verifyInternal(`Bearer ${token}`)).toBe('orders');
  });

  it('does not accept an internal token as a client token', async () => {
    const internal = await tokens.issueInternal('orders');
    expect(await tokens.authenticate(`Bearer ${internal}`)).toEqual({ viewer: null, tokenProblem: 'the token is invalid' });
  });

  it('does not accept a client token, even an admin one, as an internal token', async () => {
    const admin = await tokens.issue({ id: 'u', role: 'ADMIN' });
    expect(await tokens.verifyInternal(`Bearer ${admin}`)).toBeNull();
  });

  it('returns null for no header, a malformed header, or another secret', async () => {
    expect(await tokens.verifyInternal(undefined)).toBeNull();
    expect(await tokens.verifyInternal('orders')).toBeNull();
    const foreign = await new TokenService('another-secret-'.padEnd(40, 'y')).issueInternal('orders');
    expect(await tokens.verifyInternal(`Bearer ${foreign}`)).toBeNull();
  });

  it('expires internal tokens after five minutes', async () => {
    const token = await tokens.issueInternal('orders');
    const payload = decodeJwt(token);
    expect(payload.exp! - payload.iat!).toBe(300);
  });
});

describe('requireViewer / requireAdmin / requireSelfOrAdmin', () => {
  const customer: AuthState = { viewer: { id: 'c1', role: 'CUSTOMER' }, tokenProblem: null };
  const admin: AuthState = { viewer: { id: 'a1', role: 'ADMIN' }, tokenProblem: null };
  const anonymous: AuthState = { viewer: null, tokenProblem: null };
  const expired: AuthState = { viewer: null, tokenProblem: 'the token has expired; log in again' };

  it('requireViewer returns the viewer or throws UNAUTHENTICATED', () => {
    expect(requireViewer(customer)).toEqual({ id: 'c1', role: 'CUSTOMER' });
    expect(codeOf(() => requireViewer(anonymous)).code).toBe('UNAUTHENTICATED');
  });

  it('requireViewer explains what was wrong with the token', () => {
    const { code, message } = codeOf(() => requireViewer(expired));
    expect(code).toBe('UNAUTHENTICATED');
    expect(message).toContain('the token has expired');
  });

  it('requireAdmin: admins pass, customers are FORBIDDEN, anonymous callers UNAUTHENTICATED', () => {
    expect(requireAdmin(admin).id).toBe('a1');
    expect(codeOf(() => requireAdmin(customer)).code).toBe('FORBIDDEN');
    expect(codeOf(() => requireAdmin(anonymous)).code).toBe('UNAUTHENTICATED');
    expect(codeOf(() => requireAdmin(expired)).code).toBe('UNAUTHENTICATED');
  });

  it('requireSelfOrAdmin: the owner and admins pass, other customers are FORBIDDEN', () => {
    expect(requireSelfOrAdmin(customer, 'c1', 'orders').id).toBe('c1');
    expect(requireSelfOrAdmin(admin, 'c1', 'orders').id).toBe('a1');
    const { code, message } = codeOf(() => requireSelfOrAdmin(customer, 'c2', 'orders'));
    expect(code).toBe('FORBIDDEN');
    expect(message).toContain('orders');
    expect(codeOf(() => requireSelfOrAdmin(anonymous, 'c1', 'orders')).code).toBe('UNAUTHENTICATED');
  });
});
