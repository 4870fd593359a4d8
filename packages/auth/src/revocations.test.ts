import { randomBytes } from 'node:crypto';
import { createLogger, createRedisClient } from '@supergraph/runtime';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  createMemoryRevocationList,
  createRedisRevocationList,
  revokes,
  type Revocation,
  type RevocationList,
  type TokenIdentity,
} from './index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Every key and channel of this run starts with it, so runs (and other users of this Redis) never meet. */
const RUN = `auth-test-${randomBytes(6).toString('hex')}`;
const silent = createLogger('auth-test', 'silent');
const WAIT = { timeout: 5_000, interval: 20 };
/** How long a revocation that should not arrive is given to arrive anyway. */
const QUIET_MS = 150;

const admin = createRedisClient(REDIS_URL, silent, 'auth-test-admin');

afterAll(async () => {
  const keys = await admin.keys(`${RUN}:*`);
  if (keys.length > 0) await admin.del(...keys);
  admin.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Tokens issued a minute ago unless a test says when. */
const token = (userId: string, role: TokenIdentity['role'], sessionId: string | null, issuedAt = Date.now() - 60_000): TokenIdentity => ({
  userId,
  role,
  sessionId,
  issuedAt,
});

/**
 * What the contract suite needs of an implementation. A deployment is a set of lists sharing
 * revocations (for Redis: one prefix); lists of different deployments share nothing.
 */
interface Harness {
  /** A list of `deployment`, ready for commands; for Redis a new instance (a client of its own) each time. */
  open(deployment: string): Promise<RevocationList>;
  /** Resolves once exactly `count` lists of `deployment` that called onRevocation (and were not disposed) will be told of revocations. */
  listening(deployment: string, count: number): Promise<void>;
  /** Disposes of every list opened. */
  close(): Promise<void>;
}

function describeRevocationList(name: string, factory: () => Harness) {
  describe(`${name} revocation list`, () => {
    let harness: Harness;
    beforeEach(() => {
      harness = factory();
    });
    afterEach(async () => {
      await harness.close();
    });

    it('tells every listener even when one throws, and the revoker does not see the failure', async () => {
      const list = await harness.open('a');
      const heard: Revocation[] = [];
      list.onRevocation(() => {
        throw new Error('a broken listener');
      });
      list.onRevocation((revocation) => heard.push(revocation));
      await harness.listening('a', 1);
      await expect(list.revoke({ kind: 'session', userId: 'u7', sessionId: 's7' })).resolves.toBeUndefined();
      await vi.waitFor(() => expect(heard).toEqual([{ kind: 'session', userId: 'u7', sessionId: 's7' }]), WAIT);
    });

    it('revokes nothing until told to', async () => {
      const list = await harness.open('a');
      expect(await list.isRevoked(token('u1', 'CUSTOMER', 's1'))).toBe(false);
      expect(await list.isRevoked(token('u1', 'ADMIN', null))).toBe(false);
    });

    it("revokes one session's tokens, not other sessions' or users'", async () => {
      const writer = await harness.open('a');
      const reader = await harness.open('a');
      await writer.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' });
      for (const list of [writer, reader]) {
        expect(await list.isRevoked(token('u1', 'CUSTOMER', 's1'))).toBe(true);
        expect(await list.isRevoked(token('u1', 'CUSTOMER', 's2'))).toBe(false);
        expect(await list.isRevoked(token('u2', 'CUSTOMER', 's3'))).toBe(false);
        // A token without a session is judged by its role only.
        expect(await list.isRevoked(token('u1', 'CUSTOMER', null))).toBe(false);
      }
    });

    it("revokes a user's tokens issued before their role changed, whatever role they name, and none issued after", async () => {
      const writer = await harness.open('a');
      const reader = await harness.open('a');
      const changedAt = Date.now();
      await writer.revoke({ kind: 'role', userId: 'u1', role: 'ADMIN', at: changedAt });
      for (const list of [writer, reader]) {
        expect(await list.isRevoked(token('u1', 'CUSTOMER', 's1'))).toBe(true);
        expect(await list.isRevoked(token('u1', 'CUSTOMER', null))).toBe(true);
        expect(await list.isRevoked(token('u1', 'ADMIN', 's2'))).toBe(true);
        expect(await list.isRevoked(token('u2', 'CUSTOMER', 's1'))).toBe(false);
        // Issued after the change: valid. In the same second (tokens carry whole seconds): valid when it names the new role.
        expect(await list.isRevoked(token('u1', 'ADMIN', 's3', Math.floor(changedAt / 1000) * 1000 + 1000))).toBe(false);
        expect(await list.isRevoked(token('u1', 'ADMIN', 's3', Math.floor(changedAt / 1000) * 1000))).toBe(false);
        expect(await list.isRevoked(token('u1', 'CUSTOMER', 's3', Math.floor(changedAt / 1000) * 1000))).toBe(true);
      }
    });

    it('does not bring old tokens back when a role is changed and changed back', async () => {
      const list = await harness.open('a');
      const adminToken = token('u1', 'ADMIN', 's1');
      await list.revoke({ kind: 'role', userId: 'u1', role: 'CUSTOMER', at: Date.now() });
      expect(await list.isRevoked(adminToken)).toBe(true);
      await list.revoke({ kind: 'role', userId: 'u1', role: 'ADMIN', at: Date.now() });
      expect(await list.isRevoked(adminToken)).toBe(true);
    });

    it('checks a token without a session by its issue time only', async () => {
      const list = await harness.open('a');
      await list.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' });
      expect(await list.isRevoked(token('u1', 'CUSTOMER', null))).toBe(false);
      await list.revoke({ kind: 'role', userId: 'u1', role: 'ADMIN', at: Date.now() });
      expect(await list.isRevoked(token('u1', 'CUSTOMER', null))).toBe(true);
      expect(await list.isRevoked(token('u1', 'ADMIN', null, Date.now() + 2_000))).toBe(false);
    });

    it('tells every listener of every revocation, in order, from another instance of the deployment', async () => {
      const writer = await harness.open('a');
      const reader = await harness.open('a');
      const first: Revocation[] = [];
      const second: Revocation[] = [];
      reader.onRevocation((revocation) => first.push(revocation));
      reader.onRevocation((revocation) => second.push(revocation));
      await harness.listening('a', 1);
      const revocations: Revocation[] = [
        { kind: 'session', userId: 'u1', sessionId: 's1' },
        { kind: 'role', userId: 'u2', role: 'ADMIN', at: Date.now() },
        { kind: 'session', userId: 'u1', sessionId: 's2' },
      ];
      for (const revocation of revocations) await writer.revoke(revocation);
      await vi.waitFor(() => expect(first).toEqual(revocations), WAIT);
      await vi.waitFor(() => expect(second).toEqual(revocations), WAIT);
    });

    it("does not tell or revoke in another deployment's lists", async () => {
      const writerA = await harness.open('a');
      const readerA = await harness.open('a');
      const writerB = await harness.open('b');
      const readerB = await harness.open('b');
      const inA: Revocation[] = [];
      const inB: Revocation[] = [];
      readerA.onRevocation((revocation) => inA.push(revocation));
      readerB.onRevocation((revocation) => inB.push(revocation));
      await harness.listening('a', 1);
      await harness.listening('b', 1);

      const inAOnly: Revocation = { kind: 'session', userId: 'u1', sessionId: 's1' };
      await writerA.revoke(inAOnly);
      await writerA.revoke({ kind: 'role', userId: 'u1', role: 'ADMIN', at: Date.now() });
      await vi.waitFor(() => expect(inA).toHaveLength(2), WAIT);
      await sleep(QUIET_MS);
      expect(inB).toEqual([]);
      expect(await readerB.isRevoked(token('u1', 'CUSTOMER', 's1'))).toBe(false);
      expect(await writerB.isRevoked(token('u1', 'CUSTOMER', null))).toBe(false);

      // B's lists do listen, to their own deployment.
      const inBOnly: Revocation = { kind: 'session', userId: 'u1', sessionId: 's9' };
      await writerB.revoke(inBOnly);
      await vi.waitFor(() => expect(inB).toEqual([inBOnly]), WAIT);
      expect(await readerA.isRevoked(token('u1', 'ADMIN', 's9', Date.now() + 2_000))).toBe(false);
    });

    it('stops telling a listener once it unsubscribes', async () => {
      const writer = await harness.open('a');
      const reader = await harness.open('a');
      const gone: Revocation[] = [];
      const staying: Revocation[] = [];
      const unsubscribe = reader.onRevocation((revocation) => gone.push(revocation));
      reader.onRevocation((revocation) => staying.push(revocation));
      await harness.listening('a', 1);
      await writer.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' });
      await vi.waitFor(() => expect(gone).toHaveLength(1), WAIT);

      unsubscribe();
      await writer.revoke({ kind: 'session', userId: 'u1', sessionId: 's2' });
      await vi.waitFor(() => expect(staying).toHaveLength(2), WAIT);
      // Both listeners are called for the same message: had `gone` still been subscribed, it would have it by now.
      expect(gone).toEqual([{ kind: 'session', userId: 'u1', sessionId: 's1' }]);
    });

    it('tells no listener after dispose, which resolves', async () => {
      const writer = await harness.open('a');
      const disposed = await harness.open('a');
      const afterDispose: Revocation[] = [];
      disposed.onRevocation((revocation) => afterDispose.push(revocation));
      await harness.listening('a', 1);
      await expect(disposed.dispose()).resolves.toBeUndefined();
      // For Redis: its subscriber connection is gone.
      await harness.listening('a', 0);

      const witness = await harness.open('a');
      const seen: Revocation[] = [];
      witness.onRevocation((revocation) => seen.push(revocation));
      await harness.listening('a', 1);
      await writer.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' });
      await vi.waitFor(() => expect(seen).toHaveLength(1), WAIT);
      await sleep(QUIET_MS);
      expect(afterDispose).toEqual([]);
    });
  });
}

describeRevocationList('memory', () => {
  // One list per deployment: in one process, every "instance" is the same list.
  const lists = new Map<string, RevocationList>();
  return {
    async open(deployment) {
      let list = lists.get(deployment);
      if (!list) lists.set(deployment, (list = createMemoryRevocationList()));
      return list;
    },
    async listening() {},
    async close() {
      await Promise.all([...lists.values()].map((list) => list.dispose()));
    },
  };
});

let harnesses = 0;

/** The prefix of a deployment in one test. */
function redisPrefix(test: number, deployment: string) {
  return `${RUN}:${test}:${deployment}`;
}

/** Waits until a list answers: the list's client has no offline queue, so a command sent while it connects fails at once. */
async function ready(list: RevocationList): Promise<RevocationList> {
  await vi.waitFor(() => list.isRevoked(token('probe', 'CUSTOMER', 'probe')), WAIT);
  return list;
}

function openRedisList(prefix: string, options: { ttlSeconds?: number; service?: string } = {}) {
  return createRedisRevocationList({ redisUrl: REDIS_URL, prefix, logger: silent, service: options.service ?? 'auth-test', ...options });
}

/** Resolves once exactly `count` connections listen on the revocation channel of `prefix` (found by pattern, not by its exact name). */
async function subscribers(prefix: string, count: number): Promise<void> {
  await vi.waitFor(async () => {
    const channels = (await admin.pubsub('CHANNELS', `${prefix}:*`)) as string[];
    expect(channels).toHaveLength(count === 0 ? 0 : 1);
    if (count === 0) return;
    const [, listening] = (await admin.pubsub('NUMSUB', channels[0])) as [string, number];
    expect(Number(listening)).toBe(count);
  }, WAIT);
}

describeRevocationList('redis', () => {
  const test = ++harnesses;
  const lists: RevocationList[] = [];
  return {
    async open(deployment) {
      const list = openRedisList(redisPrefix(test, deployment), { ttlSeconds: 60 });
      lists.push(list);
      return ready(list);
    },
    listening: (deployment, count) => subscribers(redisPrefix(test, deployment), count),
    async close() {
      await Promise.all(lists.map((list) => list.dispose()));
    },
  };
});

describe('createRedisRevocationList just after it is created', () => {
  it('waits for its first connection instead of failing the first checks and revocations', async () => {
    const list = openRedisList(`${RUN}:fresh`, { ttlSeconds: 60 });
    try {
      // Called at once, before the client has connected.
      await list.revoke({ kind: 'session', userId: 'u1', sessionId: 'fresh' });
      expect(await list.isRevoked(token('u1', 'CUSTOMER', 'fresh'))).toBe(true);
    } finally {
      await list.dispose();
    }
  });
});

describe('createRedisRevocationList specifics', () => {
  const lists: RevocationList[] = [];
  const open = async (prefix: string, options: { ttlSeconds?: number; service?: string } = {}) => {
    const list = openRedisList(prefix, options);
    lists.push(list);
    return ready(list);
  };
  afterEach(async () => {
    await Promise.all(lists.splice(0).map((list) => list.dispose()));
  });

  it('needs a prefix', () => {
    expect(() => openRedisList('', { ttlSeconds: 60 })).toThrow(/prefix/);
  });

  it('without ttlSeconds only reads and listens: revoke is refused, and records nothing', async () => {
    const prefix = `${RUN}:read-only`;
    const gateway = await open(prefix);
    const users = await open(prefix, { ttlSeconds: 60 });
    const heard: Revocation[] = [];
    gateway.onRevocation((revocation) => heard.push(revocation));
    await subscribers(prefix, 1);

    await expect(gateway.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' })).rejects.toThrow(/only reads and listens/);
    expect(await users.isRevoked(token('u1', 'CUSTOMER', 's1'))).toBe(false);
    expect(await admin.keys(`${prefix}:*`)).toEqual([]);

    // What the writer records, the read-only list sees and hears.
    const revocation: Revocation = { kind: 'session', userId: 'u1', sessionId: 's2' };
    await users.revoke(revocation);
    expect(await gateway.isRevoked(token('u1', 'CUSTOMER', 's2'))).toBe(true);
    await vi.waitFor(() => expect(heard).toEqual([revocation]), WAIT);
  });

  it('keeps each revocation for ttlSeconds only', async () => {
    const prefix = `${RUN}:ttl`;
    const users = await open(prefix, { ttlSeconds: 60 });
    await users.revoke({ kind: 'session', userId: 'u1', sessionId: 's1' });
    await users.revoke({ kind: 'role', userId: 'u1', role: 'ADMIN', at: Date.now() });
    const keys = await admin.keys(`${prefix}:*`);
    expect(keys).toHaveLength(2);
    for (const key of keys) {
      const ttl = await admin.ttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(60);
    }
  });

  it('ignores malformed messages on its channel, and logs them', async () => {
    const prefix = `${RUN}:malformed`;
    const warnings: string[] = [];
    const logger = createLogger('auth-test', 'warn', (line) => warnings.push(line));
    const list = createRedisRevocationList({ redisUrl: REDIS_URL, prefix, logger, service: 'auth-test' });
    lists.push(list);
    const heard: Revocation[] = [];
    list.onRevocation((revocation) => heard.push(revocation));
    await subscribers(prefix, 1);
    const [channel] = (await admin.pubsub('CHANNELS', `${prefix}:*`)) as string[];
    const valid: Revocation = { kind: 'role', userId: 'u1', role: 'CUSTOMER', at: Date.now() };
    for (const message of [
      'not json',
      '{"kind":"session","userId":"u1"}',
      '{"kind":"role","userId":"u1","role":"ROOT","at":1}',
      '{"kind":"role","userId":"u1","role":"ADMIN"}',
      'null',
    ]) {
      await admin.publish(channel, message);
    }
    await admin.publish(channel, JSON.stringify(valid));
    await vi.waitFor(() => expect(heard).toEqual([valid]), WAIT);
    expect(warnings.filter((line) => line.includes('malformed'))).toHaveLength(5);
  });

  it('closes its Redis connections on dispose', async () => {
    const service = `auth-test-${randomBytes(4).toString('hex')}`;
    const list = await open(`${RUN}:dispose`, { ttlSeconds: 60, service });
    list.onRevocation(() => {});
    await subscribers(`${RUN}:dispose`, 1);
    const connections = async () => ((await admin.client('LIST')) as string).split('\n').filter((line) => line.includes(`name=${service}`));
    expect(await connections()).toHaveLength(2);
    await expect(list.dispose()).resolves.toBeUndefined();
    await vi.waitFor(async () => expect(await connections()).toEqual([]), WAIT);
  });
});

describe('revokes', () => {
  it("matches a session revocation to that session's tokens of that user", () => {
    const revocation: Revocation = { kind: 'session', userId: 'u1', sessionId: 's1' };
    expect(revokes(revocation, token('u1', 'CUSTOMER', 's1'))).toBe(true);
    expect(revokes(revocation, token('u1', 'ADMIN', 's1'))).toBe(true);
    expect(revokes(revocation, token('u1', 'CUSTOMER', 's2'))).toBe(false);
    expect(revokes(revocation, token('u1', 'CUSTOMER', null))).toBe(false);
    expect(revokes(revocation, token('u2', 'CUSTOMER', 's1'))).toBe(false);
  });

  it("matches a role revocation to the user's tokens issued before it", () => {
    const at = Date.now();
    const revocation: Revocation = { kind: 'role', userId: 'u1', role: 'CUSTOMER', at };
    expect(revokes(revocation, token('u1', 'ADMIN', 's1'))).toBe(true);
    expect(revokes(revocation, token('u1', 'ADMIN', null))).toBe(true);
    expect(revokes(revocation, token('u1', 'CUSTOMER', 's1'))).toBe(true);
    expect(revokes(revocation, token('u1', 'CUSTOMER', 's1', at + 1_000))).toBe(false);
    expect(revokes(revocation, token('u2', 'ADMIN', 's1'))).toBe(false);
  });
});
