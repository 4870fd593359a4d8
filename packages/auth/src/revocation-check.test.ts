import { createLogger } from '@supergraph/runtime';
import { describe, expect, it } from 'vitest';
import { createMemoryRevocationList, createRevocationCheck, tokenIdentity, type RevocationList, type TokenIdentity } from './index.js';

const token: TokenIdentity = { userId: 'u1', role: 'ADMIN', sessionId: 's1', issuedAt: Date.now() - 60_000 };

/** A list whose Redis is away: every check fails. */
const unreachable: RevocationList = {
  ...createMemoryRevocationList(),
  isRevoked: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
};

describe('tokenIdentity', () => {
  it('is the verified token’s user, role, session and issue time, and null without a verified token', () => {
    const auth = {
      viewer: { id: 'u1', role: 'ADMIN' as const },
      tokenProblem: null,
      token: { sessionId: 's1', issuedAt: 1_000, expiresAt: 2_000 },
    };
    expect(tokenIdentity(auth)).toEqual({ userId: 'u1', role: 'ADMIN', sessionId: 's1', issuedAt: 1_000 });
    expect(tokenIdentity({ viewer: null, tokenProblem: 'the token is invalid' })).toBeNull();
  });
});

describe('createRevocationCheck', () => {
  it('answers valid, then revoked once the session is ended or the role changed after the token was issued', async () => {
    const revocations = createMemoryRevocationList();
    const check = createRevocationCheck({ revocations, logger: createLogger('test', 'silent'), whileUnknown: 'refusing' });
    expect(await check(token)).toBe('valid');
    await revocations.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' });
    expect(await check(token)).toBe('revoked');
    await revocations.revoke({ kind: 'role', userId: 'u2', role: 'CUSTOMER', at: Date.now() });
    expect(await check({ ...token, userId: 'u2', sessionId: 's2' })).toBe('revoked');
  });

  it('answers unknown while Redis is away, logging the outage once per interval and saying what the service does', async () => {
    const lines: string[] = [];
    const check = createRevocationCheck({
      revocations: unreachable,
      logger: createLogger('test', 'warn', (line) => lines.push(line)),
      whileUnknown: 'refusing the queue dashboard',
    });
    expect(await check(token)).toBe('unknown');
    expect(await check(token)).toBe('unknown');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({
      msg: 'revocations cannot be checked; refusing the queue dashboard until Redis is back',
      error: 'connect ECONNREFUSED 127.0.0.1:6379',
    });
  });
});
