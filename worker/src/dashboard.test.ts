import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessTokenIssuer, createMemoryRevocationList, type RevocationList } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { createLogger } from '@supergraph/runtime';
import { createDashboard, DASHBOARD_PATH } from './dashboard.js';

// The dashboard's door, without queues (bull-board lists none): who is let in, who is refused and with what.
const key = testSigningKey('dashboard');
const issuer = new AccessTokenIssuer(key, 300);
const revocations = createMemoryRevocationList();
let redisAway = false;
const checked: RevocationList = {
  ...revocations,
  isRevoked: (token) => (redisAway ? Promise.reject(new Error('Redis is away')) : revocations.isRevoked(token)),
};
let server: Server;
let base = '';

beforeAll(async () => {
  const dashboard = createDashboard([], {
    tokenKeys: publicKeysOf(key),
    revocations: checked,
    logger: createLogger('worker', 'silent'),
    secureCookie: true,
  });
  server = createServer((req, res) => void dashboard(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${DASHBOARD_PATH}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let users = 0;
/** A new admin's token for a session of their own (a token issued a second ago: role changes from now on postdate it). */
async function adminSession() {
  const userId = `65f0c0ffee00000000000${String(++users).padStart(3, '0')}`;
  const sessionId = `session-${users}`;
  const { token } = await issuer.issue({ id: userId, role: 'ADMIN' }, sessionId);
  return { userId, sessionId, token };
}

async function open(token: string) {
  const response = await fetch(base, { headers: { authorization: `Bearer ${token}` } });
  const json = response.headers.get('content-type')?.includes('json');
  return { status: response.status, body: json ? ((await response.json()) as { error: string; code: string }) : null };
}

describe('queue dashboard admission', () => {
  it('lets an admin in, refuses a customer with 403 FORBIDDEN and no token with 401', async () => {
    expect((await open((await adminSession()).token)).status).toBe(200);
    const { token } = await issuer.issue({ id: '65f0c0ffee0000000000cafe', role: 'CUSTOMER' }, 'customer-session');
    expect(await open(token)).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } });
    expect((await fetch(base)).status).toBe(401);
  });

  it('refuses the token of a session that was logged out: 401 UNAUTHENTICATED', async () => {
    const admin = await adminSession();
    await revocations.revoke({ kind: 'session', userId: admin.userId, sessionId: admin.sessionId });
    const refused = await open(admin.token);
    expect(refused).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
    expect(refused.body?.error).toMatch(/session has ended/);
  });

  it('refuses the token of an admin whose role changed since it was issued: 401 UNAUTHENTICATED', async () => {
    const admin = await adminSession();
    await revocations.revoke({ kind: 'role', userId: admin.userId, role: 'CUSTOMER', at: Date.now() });
    expect(await open(admin.token)).toMatchObject({ status: 401, body: { code: 'UNAUTHENTICATED' } });
  });

  it('refuses a revoked token at the login form too, so no cookie is set for it', async () => {
    const admin = await adminSession();
    await revocations.revoke({ kind: 'session', userId: admin.userId, sessionId: admin.sessionId });
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: admin.token }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(401);
    expect(login.headers.get('set-cookie')).toBeNull();
  });

  it('sets a Secure cookie when told it runs in production', async () => {
    const login = await fetch(`${base}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: (await adminSession()).token }).toString(),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('set-cookie')?.split('; ')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Secure']));
  });

  it('answers 503 SERVICE_UNAVAILABLE while revocations cannot be checked, rather than trusting the token', async () => {
    const { token } = await adminSession();
    redisAway = true;
    try {
      expect(await open(token)).toMatchObject({ status: 503, body: { code: 'SERVICE_UNAVAILABLE' } });
    } finally {
      redisAway = false;
    }
    expect((await open(token)).status).toBe(200);
  });
});
