import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startService } from '../scripts/lib/processes.mjs';
import { postGraphQL } from '../scripts/lib/graphql-http.mjs';
import { asGateway, gql, signUpCustomer } from './helpers.js';

const LOG_IN = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }';

async function logIn(email: string, password: string) {
  const response = await fetch(inject('gatewayUrl'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: LOG_IN, variables: { e: email, p: password } }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as any };
}

describe('log-in limits', () => {
  it('locks an account after 10 wrong passwords, even for the right one, with 429 and Retry-After; other accounts are untouched', async () => {
    const victim = await signUpCustomer();
    const bystander = await signUpCustomer();
    for (let attempt = 1; attempt <= 10; attempt++) {
      const wrong = await logIn(victim.email, `wrong-password-${attempt}`);
      expect(wrong.body.errors[0].extensions.code, `attempt ${attempt}`).toBe('UNAUTHENTICATED');
    }
    const locked = await logIn(victim.email, victim.password);
    expect(locked.status).toBe(429);
    expect(locked.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'login-failures-per-account' });
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(900);
    // The message does not reveal whether the password was right.
    expect(locked.body.errors[0].message).not.toMatch(/password/i);

    const other = await logIn(bystander.email, bystander.password);
    expect(other.status).toBe(200);
    expect(typeof other.body.data.logIn.token).toBe('string');
  });

  it('counts guesses sent all at once: no more than 10 are checked', async () => {
    const victim = await signUpCustomer();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => logIn(victim.email, i === 29 ? victim.password : `guess-${i}`)));
    const codes = answers.map((a) => a.body.errors?.[0]?.extensions?.code ?? 'OK');
    const checked = codes.filter((code) => code !== 'RATE_LIMITED');
    expect(checked.length).toBeLessThanOrEqual(10);
    expect(codes.filter((code) => code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(20);
  });

  it('a successful log-in clears the count of earlier failures', async () => {
    const customer = await signUpCustomer();
    for (let attempt = 1; attempt <= 9; attempt++) await logIn(customer.email, 'not-it-at-all');
    expect((await logIn(customer.email, customer.password)).status).toBe(200);
    for (let attempt = 1; attempt <= 9; attempt++) await logIn(customer.email, 'not-it-at-all');
    const result = await gql(LOG_IN, { e: customer.email, p: customer.password });
    expect(result.errors).toBeUndefined();
  });

  it('locks an unknown email the same way, so the answer never tells which emails exist', async () => {
    const nobody = `nobody-${Date.now()}@test.bharatmart.in`;
    for (let attempt = 1; attempt <= 10; attempt++) await logIn(nobody, 'guess');
    expect((await logIn(nobody, 'guess')).body.errors[0].extensions.code).toBe('RATE_LIMITED');
  });
});

describe('per-address budgets', () => {
  it('count sign-ups per client address as the gateway forwards it, each address on its own', async () => {
    // A users subgraph of its own with a tiny budget (the suite's shared one allows the whole run from one address).
    const users = await startService('users', {
      PORT: '0',
      NODE_ENV: 'test',
      MONGODB_URI: inject('mongodbUri'),
      RATE_LIMIT_SIGNUPS_PER_IP: '2',
      REDIS_PREFIX: `limits-${randomBytes(4).toString('hex')}`,
    });
    try {
      // Called as the gateway calls it: with its credential and the client's address.
      const signUp = async (ip: string) =>
        postGraphQL(
          users.url,
          'mutation($i: SignUpInput!) { signUp(input: $i) { user { id } } }',
          { i: { name: 'Budget Tester', email: `budget-${randomBytes(6).toString('hex')}@test.in`, password: 'budget-pass-1' } },
          { headers: { 'x-client-ip': ip, ...(await asGateway('users')) } },
        );
      expect((await signUp('198.51.100.9')).errors).toBeUndefined();
      expect((await signUp('198.51.100.9')).errors).toBeUndefined();
      const third = await signUp('198.51.100.9');
      expect(third.errors?.[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'signups-per-ip' });
      expect((await signUp('198.51.100.10')).errors).toBeUndefined();
    } finally {
      await users.stop();
    }
  });
});
