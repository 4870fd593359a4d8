import { randomInt } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminToken, errorCodes, gql, gqlOk, signUpCustomer } from './helpers.js';
import { sharedCodeSentTo } from './sms-receiver.js';

// Through the gateway of the shared stack, whose worker sends every SMS to the receiver started by
// test/global-setup.ts (OTP_RESEND_SECONDS is 2 there, so a second code need not wait 30 s).
const REQUEST = 'mutation($phone: String!) { requestOtp(phone: $phone) { phone expiresAt resendAt } }';
const VERIFY =
  'mutation($phone: String!, $code: String!) { verifyOtp(phone: $phone, code: $code) { token expiresAt refreshToken user { id name phone email } } }';

/** A fresh mobile number in its three common spellings and in E.164. */
function newNumber() {
  const digits = `9${String(randomInt(0, 1e9)).padStart(9, '0')}`;
  return {
    e164: `+91${digits}`,
    spaced: `${digits.slice(0, 5)} ${digits.slice(5)}`,
    dashed: `+91-${digits.slice(0, 5)}-${digits.slice(5)}`,
    trunk: `0${digits}`,
  };
}

/** The code of the `nth` message (1-based) sent to `e164`, once the worker has delivered it. */
const codeSentTo = (e164: string, nth = 1) => sharedCodeSentTo(inject('smsReceiverUrl'), e164, nth);

/** Logs `number` in by code (its `nth` message), waiting out the cool-down of the previous request first. */
async function logInByCode(
  number: ReturnType<typeof newNumber>,
  form: 'e164' | 'spaced' | 'dashed' | 'trunk',
  nth: number,
  after?: string,
) {
  if (after) await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(after) - Date.now()) + 50));
  const challenge = await requestCode(number[form]);
  const result = await gql(VERIFY, { phone: number[form], code: await codeSentTo(number.e164, nth) });
  return { challenge, result };
}

async function requestCode(phone: string) {
  return (await gqlOk<{ requestOtp: { phone: string; expiresAt: string; resendAt: string } }>(REQUEST, { phone })).requestOtp;
}

const otherCode = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

let mongo: MongoClient;
beforeAll(async () => {
  mongo = await MongoClient.connect(inject('mongodbUri'));
});
afterAll(async () => {
  await mongo?.close();
});

describe('phone login with a one-time code', () => {
  it('sends a code by SMS and logs a new number into a new customer account, which can then name itself', async () => {
    const number = newNumber();
    const challenge = await requestCode(number.e164);
    expect(challenge.phone).toBe(number.e164);
    const expiresIn = Date.parse(challenge.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(4 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(5 * 60_000);
    expect(Date.parse(challenge.resendAt)).toBeLessThan(Date.parse(challenge.expiresAt));

    const code = await codeSentTo(number.e164);
    const session = (await gqlOk(VERIFY, { phone: number.e164, code })).verifyOtp;
    expect(session).toMatchObject({
      token: expect.any(String),
      refreshToken: expect.any(String),
      user: { phone: number.e164, email: null },
    });
    const me = await gqlOk('{ me { id phone } }', {}, session.token);
    expect(me.me).toEqual({ id: session.user.id, phone: number.e164 });

    const renamed = await gqlOk('mutation { updateMe(input: { name: "Asha Verma", city: "Nagpur" }) { name city } }', {}, session.token);
    expect(renamed.updateMe).toEqual({ name: 'Asha Verma', city: 'Nagpur' });
    // A code logs in once.
    expect(errorCodes(await gql(VERIFY, { phone: number.e164, code }))).toEqual(['UNAUTHENTICATED']);
  });

  it('logs a number back into the account its code opened before', async () => {
    const number = newNumber();
    const first = await logInByCode(number, 'trunk', 1);
    const second = await logInByCode(number, 'dashed', 2, first.challenge.resendAt);
    expect(second.result.data.verifyOtp.user.id).toBe(first.result.data.verifyOtp.user.id);
  });

  it('never opens an account that only claimed the number at sign-up', async () => {
    // Someone signs up with a stranger's number: the number's holder, logging in by code, gets an
    // account of their own, and the claimant's account never receives the holder's logins.
    const number = newNumber();
    const claimant = await signUpCustomer({ phone: number.spaced });
    const holder = (await logInByCode(number, 'e164', 1)).result.data.verifyOtp;
    expect(holder.user.id).not.toBe(claimant.user.id);
    expect(holder.user).toMatchObject({ phone: number.e164, email: null });
  });

  it('lets a signed-up customer prove their number with a code and their password, after which a code for it logs into that account', async () => {
    const CONFIRM =
      'mutation($phone: String!, $code: String!, $password: String) { confirmPhone(phone: $phone, code: $code, password: $password) { id phone } }';
    const number = newNumber();
    const customer = await signUpCustomer({ phone: number.spaced });
    const first = await requestCode(number.e164);
    const code = await codeSentTo(number.e164, 1);
    expect(errorCodes(await gql(CONFIRM, { phone: number.e164, code, password: customer.password }))).toEqual(['UNAUTHENTICATED']);
    // A token alone (perhaps a stolen one) may not add a way into an account that has a password.
    expect(errorCodes(await gql(CONFIRM, { phone: number.e164, code }, customer.token))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await gql(CONFIRM, { phone: number.e164, code, password: 'not-the-password' }, customer.token))).toEqual([
      'UNAUTHENTICATED',
    ]);
    const confirmed = await gqlOk(CONFIRM, { phone: number.dashed, code, password: customer.password }, customer.token);
    expect(confirmed.confirmPhone).toEqual({ id: customer.user.id, phone: number.e164 });

    const again = await logInByCode(number, 'trunk', 2, first.resendAt);
    expect(again.result.data.verifyOtp.user.id).toBe(customer.user.id);
    // The number is proved by one account now: another cannot take it over with a code of its own.
    const other = await signUpCustomer();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(again.challenge.resendAt) - Date.now()) + 50));
    await requestCode(number.e164);
    const taken = await gql(CONFIRM, { phone: number.e164, code: await codeSentTo(number.e164, 3), password: other.password }, other.token);
    expect(errorCodes(taken)).toEqual(['CONFLICT']);
  });

  it("never lets a token move an account's proved number, so a stolen token cannot take over its code logins", async () => {
    const CONFIRM = 'mutation($phone: String!, $code: String!) { confirmPhone(phone: $phone, code: $code) { id phone } }';
    const victimNumber = newNumber();
    const victim = (await logInByCode(victimNumber, 'e164', 1)).result.data.verifyOtp;
    const thiefNumber = newNumber();
    await requestCode(thiefNumber.e164);
    const moved = await gql(CONFIRM, { phone: thiefNumber.e164, code: await codeSentTo(thiefNumber.e164, 1) }, victim.token);
    expect(errorCodes(moved)).toEqual(['FORBIDDEN']);
    // Refused before the code was checked: it still logs its number into an account of its own, not the victim's.
    const thief = await gqlOk(VERIFY, { phone: thiefNumber.e164, code: await codeSentTo(thiefNumber.e164, 1) });
    expect(thief.verifyOtp.user.id).not.toBe(victim.user.id);
  });

  it('refuses a phone code for an admin account', async () => {
    const number = newNumber();
    const first = await logInByCode(number, 'e164', 1);
    await gqlOk(
      'mutation($id: ID!) { setUserRole(id: $id, role: ADMIN) { id } }',
      { id: first.result.data.verifyOtp.user.id },
      await adminToken(),
    );
    const again = await logInByCode(number, 'e164', 2, first.challenge.resendAt);
    expect(errorCodes(again.result)).toEqual(['FORBIDDEN']);
  });

  it('reads 98765 43210, +91-98765-43210 and 09876543210 as the same E.164 number', async () => {
    for (const form of ['spaced', 'dashed', 'trunk'] as const) {
      const number = newNumber();
      expect((await requestCode(number[form])).phone).toBe(number.e164);
      const code = await codeSentTo(number.e164);
      const other = form === 'trunk' ? number.spaced : number.trunk;
      expect((await gqlOk(VERIFY, { phone: other, code })).verifyOtp.user.phone).toBe(number.e164);
    }
  });

  it.each(['12345', '+44 20 7946 0958', '5876543210', '98765-4321x', ''])('refuses %j as BAD_USER_INPUT naming phone', async (phone) => {
    for (const [query, variables] of [
      [REQUEST, { phone }],
      [VERIFY, { phone, code: '123456' }],
    ] as const) {
      const result = await gql(query, variables);
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors?.[0].message).toMatch(/^phone: /);
      expect(result.errors?.[0].extensions?.field).toBe('phone');
    }
  });

  it('refuses a code that is not 6 digits as BAD_USER_INPUT naming code', async () => {
    const result = await gql(VERIFY, { phone: newNumber().e164, code: '12ab' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors?.[0].extensions?.field).toBe('code');
  });

  it('refuses a wrong code, saying how many tries are left, and still takes the right one', async () => {
    const number = newNumber();
    await requestCode(number.e164);
    const code = await codeSentTo(number.e164);
    const wrong = await gql(VERIFY, { phone: number.e164, code: otherCode(code) });
    expect(errorCodes(wrong)).toEqual(['UNAUTHENTICATED']);
    expect(wrong.errors?.[0].message).toMatch(/^code: wrong code; 4 tries left/);
    expect((await gqlOk(VERIFY, { phone: number.e164, code })).verifyOtp.token).toEqual(expect.any(String));
  });

  it('kills the code after 5 wrong tries, even for the right one', async () => {
    const number = newNumber();
    await requestCode(number.e164);
    const code = await codeSentTo(number.e164);
    for (let i = 0; i < 5; i++)
      expect(errorCodes(await gql(VERIFY, { phone: number.e164, code: otherCode(code) }))).toEqual(['UNAUTHENTICATED']);
    const after = await gql(VERIFY, { phone: number.e164, code });
    expect(errorCodes(after)).toEqual(['UNAUTHENTICATED']);
    expect(after.errors?.[0].message).toMatch(/too many wrong codes/);
  });

  it('refuses an expired code', async () => {
    const number = newNumber();
    await requestCode(number.e164);
    const code = await codeSentTo(number.e164);
    // Five minutes pass: the stored expiry is moved into the past instead of waiting for it.
    const moved = await mongo
      .db()
      .collection('otp_challenges')
      .updateOne({ _id: number.e164 as never }, { $set: { expiresAt: new Date(Date.now() - 1_000) } });
    expect(moved.modifiedCount).toBe(1);
    const result = await gql(VERIFY, { phone: number.e164, code });
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.errors?.[0].message).toMatch(/expired or was used/);
  });

  it('stores the code only as a hash', async () => {
    const number = newNumber();
    await requestCode(number.e164);
    const code = await codeSentTo(number.e164);
    const stored = await mongo
      .db()
      .collection('otp_challenges')
      .findOne({ _id: number.e164 as never });
    expect(stored).not.toBeNull();
    expect(JSON.stringify(stored)).not.toContain(code);
    expect(stored!.codeHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sends a new code only after the cool-down, and the new code replaces the old one', async () => {
    const number = newNumber();
    const first = await requestCode(number.e164);
    const early = await gql(REQUEST, { phone: number.e164 });
    expect(errorCodes(early)).toEqual(['RATE_LIMITED']);
    expect(early.status).toBe(429);
    expect(early.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(early.errors?.[0].extensions?.retryAfterSeconds).toBeLessThanOrEqual(2);
    const oldCode = await codeSentTo(number.e164);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(first.resendAt) - Date.now()) + 50));
    await requestCode(number.e164);
    const newCode = await codeSentTo(number.e164, 2);
    if (newCode !== oldCode) expect(errorCodes(await gql(VERIFY, { phone: number.e164, code: oldCode }))).toEqual(['UNAUTHENTICATED']);
    expect((await gqlOk(VERIFY, { phone: number.e164, code: newCode })).verifyOtp.user.phone).toBe(number.e164);
  });

  it('answers the same for a registered and an unknown number', async () => {
    const registered = newNumber();
    await signUpCustomer({ phone: registered.e164 });
    const unknown = newNumber();
    const [a, b] = await Promise.all([gql(REQUEST, { phone: registered.e164 }), gql(REQUEST, { phone: unknown.e164 })]);
    expect(a.errors).toBeUndefined();
    expect(b.errors).toBeUndefined();
    const shape = (result: typeof a) => {
      const { phone, expiresAt, resendAt } = result.data.requestOtp as { phone: string; expiresAt: string; resendAt: string };
      return {
        keys: Object.keys(result.data.requestOtp as object),
        phoneForm: phone.replace(/\d/g, '9'),
        window: Date.parse(expiresAt) - Date.parse(resendAt),
      };
    };
    expect(shape(a)).toEqual(shape(b));
    // Both get their code.
    await codeSentTo(registered.e164);
    await codeSentTo(unknown.e164);
  });

  it('lets one operation try one code only', async () => {
    const result = await gql(
      'mutation { a: verifyOtp(phone: "9876543210", code: "111111") { token } b: verifyOtp(phone: "9876543210", code: "222222") { token } }',
    );
    expect(errorCodes(result)).toEqual(['OPERATION_LIMIT']);
  });
});
