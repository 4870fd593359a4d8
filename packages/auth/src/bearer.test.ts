import { describe, expect, it } from 'vitest';
import { authorizationFrom, bearerToken, tokenExpiry, TokenService } from './index.js';

describe('bearer helpers', () => {
  it('bearerToken reads "Bearer <token>" in any case and nothing else', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer   xyz')).toBe('xyz');
    for (const value of [undefined, '', 'Basic dXNlcg==', 'Bearer', 'Bearer a b', 'abc'])
      expect(bearerToken(value), String(value)).toBeNull();
  });

  it('authorizationFrom reads either spelling from connection params or headers, and ignores non-strings', () => {
    expect(authorizationFrom({ authorization: 'Bearer a' })).toBe('Bearer a');
    expect(authorizationFrom({ Authorization: 'Bearer b' })).toBe('Bearer b');
    expect(authorizationFrom({ authorization: 42 })).toBeUndefined();
    expect(authorizationFrom({ authorization: '' })).toBeUndefined();
    expect(authorizationFrom(undefined)).toBeUndefined();
  });

  it("tokenExpiry reads a JWT's exp without verifying it", async () => {
    const before = Date.now();
    const token = await new TokenService('x'.repeat(32), 60).issue({ id: 'u1', role: 'CUSTOMER' });
    const expiry = tokenExpiry(`Bearer ${token}`)!;
    expect(expiry).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 59_000);
    expect(expiry).toBeLessThanOrEqual(Date.now() + 60_000);
    // Signed with another secret: still read, since judging tokens is the subgraphs' job.
    const foreign = await new TokenService('y'.repeat(32), 60).issue({ id: 'u1', role: 'ADMIN' });
    expect(tokenExpiry(`Bearer ${foreign}`)).not.toBeNull();
  });

  it('tokenExpiry is null for non-JWTs and for expiries further away than a timer can wait', async () => {
    expect(tokenExpiry(undefined)).toBeNull();
    expect(tokenExpiry('Bearer not-a-jwt')).toBeNull();
    expect(tokenExpiry('Bearer a.b.c')).toBeNull();
    const weekLong = await new TokenService('x'.repeat(32)).issue({ id: 'u1', role: 'CUSTOMER' });
    expect(tokenExpiry(`Bearer ${weekLong}`)).not.toBeNull();
    const yearLong = await new TokenService('x'.repeat(32), 365 * 24 * 3600).issue({ id: 'u1', role: 'CUSTOMER' });
    expect(tokenExpiry(`Bearer ${yearLong}`)).toBeNull();
  });
});
