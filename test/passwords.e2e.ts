import { randomBytes, scryptSync } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { gqlOk, signUpCustomer } from './helpers.js';

let mongo: MongoClient;
beforeAll(async () => {
  mongo = await new MongoClient(inject('mongodbUri')).connect();
});
afterAll(() => mongo?.close());

const LOG_IN = 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token user { id } } }';

describe('password hashes', () => {
  it("are made with scrypt at N = 2^17, and an older, cheaper hash is upgraded at the user's next login", async () => {
    const customer = await signUpCustomer();
    const users = mongo.db().collection<{ email: string; passwordHash: string }>('users');
    expect((await users.findOne({ email: customer.email }))?.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);

    // As an account created before the parameters were raised would have it.
    const salt = randomBytes(16);
    const legacyKey = scryptSync(customer.password.normalize('NFKC'), salt, 64, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
    const legacy = ['scrypt', 2 ** 15, 8, 1, salt.toString('base64'), legacyKey.toString('base64')].join('$');
    await users.updateOne({ email: customer.email }, { $set: { passwordHash: legacy } });

    const first = await gqlOk(LOG_IN, { e: customer.email, p: customer.password });
    expect(first.logIn.user.id).toBe(customer.user.id);
    const upgraded = (await users.findOne({ email: customer.email }))!.passwordHash;
    expect(upgraded).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(upgraded).not.toBe(legacy);
    // The upgraded hash still takes the same password, and only it.
    expect((await gqlOk(LOG_IN, { e: customer.email, p: customer.password })).logIn.user.id).toBe(customer.user.id);
    expect((await users.findOne({ email: customer.email }))!.passwordHash).toBe(upgraded);
  });
});
