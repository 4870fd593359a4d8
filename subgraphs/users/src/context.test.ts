import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { AccessTokenIssuer, AccessTokenVerifier, createMemoryRevocationList } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { connectMongo } from '@supergraph/subgraph-kit';
import { createContext, type UsersServices } from './context.js';
import { createCredentialLimits, DEFAULT_CREDENTIAL_LIMITS } from './credential-limits.js';
import { readSessionConfig } from './config.js';
import { registerUserModel } from './model.js';
import type { OtpServices } from './otp.js';
import { createPhoneOwners, registerPhoneOwnerModel } from './phone-owners.js';
import { createSessions, registerSessionModel } from './sessions.js';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

let connection: Connection;
let services: UsersServices;
const userKey = testSigningKey('users');

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('users_context'), createLogger('test', 'silent'));
  const logger = createLogger('test', 'silent');
  const revocations = createMemoryRevocationList();
  services = {
    credentialLimits: createCredentialLimits(DEFAULT_CREDENTIAL_LIMITS, { redis: null, prefix: 'users-context-test' }),
    users: registerUserModel(connection),
    tokens: new AccessTokenVerifier(publicKeysOf(userKey)),
    issuer: new AccessTokenIssuer(userKey),
    sessions: createSessions({ sessions: registerSessionModel(connection), revocations, config: readSessionConfig({}), logger }),
    revocations,
    logger,
    // Not used by createContext beyond being passed along; phone login is tested in otp.test.ts.
    otp: {} as OtpServices,
    phoneOwners: createPhoneOwners(registerPhoneOwnerModel(connection), registerUserModel(connection)),
  };
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

describe('createContext', () => {
  it('gives every request its own loaders', async () => {
    const a = await createContext(services, undefined);
    const b = await createContext(services, undefined);
    expect(a.loaders.userById).not.toBe(b.loaders.userById);
    expect(a.users).toBe(services.users);
  });

  it('so a change made after one request is seen by the next', async () => {
    const user = await services.users.create({
      name: 'Before',
      email: `ctx-${randomBytes(3).toString('hex')}@example.in`,
      passwordHash: 'x',
    });
    const first = await createContext(services, undefined);
    expect((await first.loaders.userById.load(String(user._id))).name).toBe('Before');

    await services.users.updateOne({ _id: user._id }, { $set: { name: 'After' } });
    // Within one request the loader keeps what it read...
    expect((await first.loaders.userById.load(String(user._id))).name).toBe('Before');
    // ...and the next request reads afresh.
    const second = await createContext(services, undefined);
    expect((await second.loaders.userById.load(String(user._id))).name).toBe('After');
  });

  it('loads public fields only: never the password hash', async () => {
    const user = await services.users.create({
      name: 'Hidden',
      email: `hash-${randomBytes(3).toString('hex')}@example.in`,
      passwordHash: 'scrypt$secret',
      city: 'Chennai',
    });
    const ctx = await createContext(services, undefined);
    const loaded = await ctx.loaders.userById.load(String(user._id));
    expect(loaded).toMatchObject({ name: 'Hidden', city: 'Chennai', role: 'CUSTOMER' });
    expect(loaded).not.toHaveProperty('passwordHash');
  });

  it('authenticates the caller from the Authorization header', async () => {
    const { token, expiresAt } = await services.issuer.issue({ id: 'u-1', role: 'ADMIN' }, 's-1');
    expect((await createContext(services, `Bearer ${token}`)).auth).toMatchObject({
      viewer: { id: 'u-1', role: 'ADMIN' },
      tokenProblem: null,
      token: { sessionId: 's-1', expiresAt: expiresAt.getTime() },
    });
    expect((await createContext(services, undefined)).auth).toEqual({ viewer: null, tokenProblem: null });
    const bad = await createContext(services, 'Bearer not.a.token');
    expect(bad.auth.viewer).toBeNull();
    expect(bad.auth.tokenProblem).toBe('the token is invalid');
  });
});
