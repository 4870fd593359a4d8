import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { connectMongo } from '@supergraph/subgraph-kit';
import { ensureAdmin } from './admin.js';
import { registerUserModel, type UserModel } from './model.js';
import { hashPassword, verifyPassword } from './password.js';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

const logger = createLogger('test', 'silent');
let connection: Connection;
let users: UserModel;

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('users_admin'), logger);
  users = registerUserModel(connection);
  await users.syncIndexes();
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

const uniqueEmail = (label: string) => `${label}-${randomBytes(3).toString('hex')}@example.in`;

describe('ensureAdmin', () => {
  it('creates the admin account when it does not exist', async () => {
    const email = uniqueEmail('admin');
    await ensureAdmin(users, email, 'first-admin-password', logger);
    const admins = await users.find({ email }).lean();
    expect(admins).toHaveLength(1);
    expect(admins[0]).toMatchObject({ email, role: 'ADMIN', name: 'Admin' });
    expect(await verifyPassword('first-admin-password', admins[0].passwordHash!)).toBe(true);
  });

  it('updates the password of an existing admin on the next start, keeping the same account', async () => {
    const email = uniqueEmail('admin');
    await ensureAdmin(users, email, 'first-admin-password', logger);
    const before = await users.findOne({ email }).lean();
    await ensureAdmin(users, email, 'second-admin-password', logger);
    const after = await users.find({ email }).lean();
    expect(after).toHaveLength(1);
    expect(String(after[0]._id)).toBe(String(before!._id));
    expect(await verifyPassword('second-admin-password', after[0].passwordHash!)).toBe(true);
    expect(await verifyPassword('first-admin-password', after[0].passwordHash!)).toBe(false);
  });

  it('promotes an existing customer with that email instead of creating a second account', async () => {
    const email = uniqueEmail('customer');
    const customer = await users.create({ name: 'Ravi', email, role: 'CUSTOMER', passwordHash: await hashPassword('customer-password') });
    await ensureAdmin(users, email, 'admin-password-1', logger);
    const accounts = await users.find({ email }).lean();
    expect(accounts).toHaveLength(1);
    expect(String(accounts[0]._id)).toBe(String(customer._id));
    expect(accounts[0].role).toBe('ADMIN');
    expect(accounts[0].name).toBe('Ravi');
    expect(await verifyPassword('admin-password-1', accounts[0].passwordHash!)).toBe(true);
  });

  it('normalises the configured email', async () => {
    const email = uniqueEmail('mixed');
    await ensureAdmin(users, `  ${email.toUpperCase()} `, 'admin-password-1', logger);
    expect(await users.countDocuments({ email })).toBe(1);
    await ensureAdmin(users, email, 'admin-password-2', logger);
    expect(await users.countDocuments({ email })).toBe(1);
  });

  it('ends with one admin when two instances start at the same moment', async () => {
    const email = uniqueEmail('race');
    await Promise.all([ensureAdmin(users, email, 'same-admin-password', logger), ensureAdmin(users, email, 'same-admin-password', logger)]);
    const accounts = await users.find({ email }).lean();
    expect(accounts).toHaveLength(1);
    expect(accounts[0].role).toBe('ADMIN');
    expect(await verifyPassword('same-admin-password', accounts[0].passwordHash!)).toBe(true);
  });

  it('logs the account id but never the email or password', async () => {
    const lines: string[] = [];
    const email = uniqueEmail('logged');
    await ensureAdmin(
      users,
      email,
      'logged-admin-password',
      createLogger('test', 'info', (line) => lines.push(line)),
    );
    await ensureAdmin(
      users,
      email,
      'logged-admin-password',
      createLogger('test', 'info', (line) => lines.push(line)),
    );
    const account = await users.findOne({ email }).lean();
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['admin account created', 'admin account checked']);
    expect(lines.every((l) => JSON.parse(l).userId === String(account!._id))).toBe(true);
    expect(lines.join('\n')).not.toContain(email);
    expect(lines.join('\n')).not.toContain('logged-admin-password');
  });
});
