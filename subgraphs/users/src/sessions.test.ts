import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Types, type Connection } from 'mongoose';
import { createMemoryRevocationList, type Revocation } from '@supergraph/auth';
import type { GraphQLError } from 'graphql';
import { createLogger } from '@supergraph/runtime';
import { connectMongo } from '@supergraph/subgraph-kit';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';
import { readSessionConfig, type SessionConfig } from './config.js';
import { createSessions, registerSessionModel, sessionIdOf, type SessionModel } from './sessions.js';

let connection: Connection;
let model: SessionModel;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  connection = await connectMongo(testDatabaseUri('users_sessions'), logger);
  model = registerSessionModel(connection);
  await model.syncIndexes();
});

afterAll(async () => {
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

function sessionsWith(overrides: Partial<SessionConfig> = {}) {
  const revocations = createMemoryRevocationList();
  const seen: Revocation[] = [];
  revocations.onRevocation((r) => seen.push(r));
  return {
    sessions: createSessions({ sessions: model, revocations, config: { ...readSessionConfig({}), ...overrides }, logger }),
    seen,
    revocations,
  };
}

async function codeOf(promise: Promise<unknown>): Promise<string | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return String((error as GraphQLError).extensions?.code);
  }
}

describe('sessions', () => {
  it('stores hashes only: neither the refresh token nor its secret part is in the database', async () => {
    const { sessions } = sessionsWith();
    const started = await sessions.start(new Types.ObjectId());
    const stored = JSON.stringify(await model.findById(started.sessionId).lean());
    expect(stored).not.toContain(started.refreshToken);
    expect(stored).not.toContain(started.refreshToken.split('.')[1]);
    expect(sessionIdOf(started.refreshToken)).toBe(started.sessionId);
  });

  it('each exchange moves the idle expiry on, so a session in use lives on; never past its maximum', async () => {
    const { sessions } = sessionsWith({ idleSeconds: 30 * 86_400, maxSeconds: 90 * 86_400 });
    const started = await sessions.start(new Types.ObjectId());
    const before = (await model.findById(started.sessionId).lean())!;
    // As if it had last been used 29 days ago.
    await model.updateOne({ _id: started.sessionId }, { $set: { idleExpiresAt: new Date(Date.now() + 86_400_000) } });
    await sessions.refresh(started.refreshToken);
    const after = (await model.findById(started.sessionId).lean())!;
    expect(after.idleExpiresAt.getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(after.maxExpiresAt).toEqual(before.maxExpiresAt);
    expect(after.maxExpiresAt.getTime() - before.createdAt.getTime()).toBeGreaterThanOrEqual(90 * 86_400_000 - 1_000);
  });

  it('refuses a session idle past its expiry, or past its maximum age', async () => {
    const { sessions } = sessionsWith();
    const idle = await sessions.start(new Types.ObjectId());
    await model.updateOne({ _id: idle.sessionId }, { $set: { idleExpiresAt: new Date(Date.now() - 1_000) } });
    expect(await codeOf(sessions.refresh(idle.refreshToken))).toBe('UNAUTHENTICATED');
    const old = await sessions.start(new Types.ObjectId());
    await model.updateOne({ _id: old.sessionId }, { $set: { maxExpiresAt: new Date(Date.now() - 1_000) } });
    expect(await codeOf(sessions.refresh(old.refreshToken))).toBe('UNAUTHENTICATED');
  });

  it('without a retry grace, two exchanges of one token at once: one wins, the other is taken as theft and ends the session', async () => {
    const { sessions, seen } = sessionsWith({ retryGraceSeconds: 0 });
    const started = await sessions.start(new Types.ObjectId());
    const results = await Promise.allSettled([sessions.refresh(started.refreshToken), sessions.refresh(started.refreshToken)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
    expect((await model.findById(started.sessionId).lean())!.revokedReason).toBe('refresh-token-reused');
    expect(seen).toContainEqual({ kind: 'session', userId: started.userId, sessionId: started.sessionId });
  });

  it('with the grace, a retry gets fresh tokens, and the winner of the first exchange cannot use its token afterwards', async () => {
    const { sessions } = sessionsWith({ retryGraceSeconds: 30 });
    const started = await sessions.start(new Types.ObjectId());
    const [first, retry] = await Promise.all([sessions.refresh(started.refreshToken), sessions.refresh(started.refreshToken)]);
    expect(first.refreshToken).not.toBe(retry.refreshToken);
    // Exactly one of the two is current; the other was retired by the second exchange.
    const outcomes = await Promise.all([codeOf(sessions.refresh(first.refreshToken)), codeOf(sessions.refresh(retry.refreshToken))]);
    expect(outcomes).toContain('UNAUTHENTICATED');
  });

  it('allows one retry within the grace only: a second retry of the same token is reuse and ends the session', async () => {
    const { sessions } = sessionsWith({ retryGraceSeconds: 30 });
    const started = await sessions.start(new Types.ObjectId());
    await sessions.refresh(started.refreshToken);
    await sessions.refresh(started.refreshToken); // the one retry
    expect(await codeOf(sessions.refresh(started.refreshToken))).toBe('UNAUTHENTICATED');
    expect((await model.findById(started.sessionId).lean())!.revokedReason).toBe('refresh-token-reused');
  });

  it('asks for the exchange budget only once the token is known to be the right one', async () => {
    const { sessions } = sessionsWith();
    const started = await sessions.start(new Types.ObjectId());
    const asked: string[] = [];
    const budget = async (sessionId: string) => void asked.push(sessionId);
    expect(await codeOf(sessions.refresh(`${started.sessionId}.${'x'.repeat(43)}`, budget))).toBe('UNAUTHENTICATED');
    expect(asked).toEqual([]);
    await sessions.refresh(started.refreshToken, budget);
    expect(asked).toEqual([started.sessionId]);
  });

  it('ends a session once, telling the revocation list; ending it again changes nothing', async () => {
    const { sessions, seen } = sessionsWith();
    const userId = new Types.ObjectId();
    const started = await sessions.start(userId);
    expect(await sessions.endById(started.sessionId, String(new Types.ObjectId()))).toBe(false);
    expect(await sessions.endByToken(`${started.sessionId}.${'x'.repeat(43)}`)).toBe(false);
    expect(await sessions.endByToken(started.refreshToken)).toBe(true);
    expect(await sessions.endById(started.sessionId, String(userId))).toBe(false);
    expect(seen.filter((r) => r.kind === 'session' && r.sessionId === started.sessionId).length).toBeGreaterThanOrEqual(1);
    expect(await codeOf(sessions.refresh(started.refreshToken))).toBe('UNAUTHENTICATED');
  });
});
