import { randomInt } from 'node:crypto';
import { Types, type Connection } from 'mongoose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@supergraph/runtime';
import { connectMongo } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import { registerUserModel, type UserModel } from './model.js';
import { createPhoneOwners, registerPhoneOwnerModel, type PhoneOwners } from './phone-owners.js';

// The real database: the point is what its unique `_id` does when two accounts claim at once.
let connection: Connection;
let users: UserModel;
let owners: PhoneOwners;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('users_phone_owners'), createLogger('test', 'silent'));
  users = registerUserModel(connection);
  owners = createPhoneOwners(registerPhoneOwnerModel(connection), users);
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const newPhone = () => `+9194${String(randomInt(0, 1e8)).padStart(8, '0')}`;

describe('phone owners', () => {
  it('lets exactly one of several accounts claiming a number at once own it, and tells every claimant which', async () => {
    const phone = newPhone();
    const claimants = Array.from({ length: 6 }, () => new Types.ObjectId());
    const answers = await Promise.all(claimants.map((id) => owners.claim(phone, id)));
    const winner = answers[0];
    expect(answers.every((owner) => owner.equals(winner))).toBe(true);
    expect(claimants.some((id) => id.equals(winner))).toBe(true);
    expect((await owners.ownerOf(phone))?.equals(winner)).toBe(true);
  });

  it('has no owner for a number nobody proved, even one typed in at sign-up', async () => {
    const phone = newPhone();
    await users.create({ name: 'Claimant', email: `claimant-${phone.slice(3)}@test.in`, phone, role: 'CUSTOMER' });
    expect(await owners.ownerOf(phone)).toBeNull();
  });

  it('makes the oldest account that proved a number before owners were recorded its owner', async () => {
    const phone = newPhone();
    const first = await users.create({ name: 'First', phone, phoneVerifiedAt: new Date(), role: 'CUSTOMER' });
    await users.create({ name: 'Second', phone, phoneVerifiedAt: new Date(), role: 'CUSTOMER' });
    expect((await owners.ownerOf(phone))?.equals(first._id)).toBe(true);
    // Recorded now: a later claim by anyone else is told the first account owns it.
    expect((await owners.claim(phone, new Types.ObjectId())).equals(first._id)).toBe(true);
  });
});
