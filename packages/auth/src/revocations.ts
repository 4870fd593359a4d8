import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, type Logger } from '@supergraph/runtime';
import type { Role } from './viewer.js';

/**
 * Ends access tokens before they expire: a session that was logged out (or whose refresh token was
 * reused), or every token of a user whose role changed. Access tokens are short-lived, so a
 * revocation needs remembering only as long as one lives.
 */
export type Revocation =
  | { kind: 'session'; userId: string; sessionId: string }
  /**
   * The user's role was set to `role` at `at` (ms): every token of theirs issued before then ends
   * (whatever role it names, so a role changed and changed back does not bring old tokens back).
   */
  | { kind: 'role'; userId: string; role: Role; at: number };

/** What a verified token says about itself, as far as revocation goes. */
export interface TokenIdentity {
  userId: string;
  role: Role;
  sessionId: string | null;
  /** When the token was issued (ms; tokens carry whole seconds). */
  issuedAt: number;
}

export interface RevocationList {
  /** Records a revocation and tells every listener (every gateway instance) at once. */
  revoke(revocation: Revocation): Promise<void>;
  /** Whether a verified token has been revoked since it was issued. */
  isRevoked(token: TokenIdentity): Promise<boolean>;
  /**
   * Called for each revocation, from whichever instance made it; returns the unsubscribe. With
   * Redis, revocations published before the channel subscription is confirmed (moments after the
   * first call) are not heard; the stored key still refuses their tokens on the next request.
   */
  onRevocation(listener: (revocation: Revocation) => void): () => void;
  /** Releases every client and listener. */
  dispose(): Promise<void>;
}

/** Whether `revocation` ends a token (or a stream opened with one). */
export function revokes(revocation: Revocation, token: TokenIdentity): boolean {
  if (revocation.userId !== token.userId) return false;
  return revocation.kind === 'session'
    ? revocation.sessionId === token.sessionId
    : issuedBeforeRoleChange(token, revocation.role, revocation.at);
}

/**
 * Whether a token predates a role change at `at`. Tokens carry their issue time in whole seconds,
 * so one issued in the second of the change counts as before it only when it names another role
 * (a token refreshed right after the change names the new one and stays valid).
 */
function issuedBeforeRoleChange(token: TokenIdentity, role: Role, at: number): boolean {
  const changedSecond = Math.floor(at / 1000) * 1000;
  return token.issuedAt < changedSecond || (token.issuedAt < changedSecond + 1000 && token.role !== role);
}

/** A role change as stored: the role set and when. */
function parseRoleChange(stored: string | null): { role: Role; at: number } | null {
  if (stored === null) return null;
  try {
    const parsed = JSON.parse(stored) as { role?: unknown; at?: unknown };
    if ((parsed.role === 'CUSTOMER' || parsed.role === 'ADMIN') && typeof parsed.at === 'number')
      return { role: parsed.role, at: parsed.at };
  } catch {
    // fall through: an unreadable entry revokes nothing, as if absent
  }
  return null;
}

function isRevocation(value: unknown): value is Revocation {
  const r = value as Record<string, unknown> | null;
  if (!r || typeof r.userId !== 'string') return false;
  return (
    (r.kind === 'session' && typeof r.sessionId === 'string') ||
    (r.kind === 'role' && (r.role === 'CUSTOMER' || r.role === 'ADMIN') && typeof r.at === 'number')
  );
}

/** In one process only: for unit tests, and the shape the Redis list must match (one contract suite runs over both). */
export function createMemoryRevocationList(): RevocationList {
  const sessions = new Set<string>();
  const roles = new Map<string, { role: Role; at: number }>();
  const listeners = new Set<(revocation: Revocation) => void>();
  return {
    async revoke(revocation) {
      if (revocation.kind === 'session') sessions.add(revocation.sessionId);
      else roles.set(revocation.userId, { role: revocation.role, at: revocation.at });
      for (const listener of listeners) {
        try {
          listener(revocation);
        } catch {
          // As in Redis: one listener's failure is not the revoker's.
        }
      }
    },
    async isRevoked(token) {
      if (token.sessionId !== null && sessions.has(token.sessionId)) return true;
      const change = roles.get(token.userId);
      return change !== undefined && issuedBeforeRoleChange(token, change.role, change.at);
    },
    onRevocation(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async dispose() {
      listeners.clear();
    },
  };
}

export interface RedisRevocationOptions {
  redisUrl: string;
  /** Required: deployments sharing a Redis never see each other's revocations. */
  prefix: string;
  /** How long a revocation is kept: the longest an access token lives. Unset: this list only reads and listens (the gateway). */
  ttlSeconds?: number;
  logger: Logger;
  /** The service's name, for Redis connection names. */
  service: string;
}

/**
 * Revocations in Redis: a key per revoked session and per user whose role changed, each kept for
 * an access token's lifetime, and one pub/sub channel so every gateway ends live streams within
 * moments. A separate subscriber client, because a Redis connection in subscriber mode can do nothing else.
 */
/** How long a command waits for a service's first connection to Redis before failing. */
const FIRST_CONNECTION_WAIT_MS = 2_000;

export function createRedisRevocationList(options: RedisRevocationOptions): RevocationList {
  if (!options.prefix) throw new Error('a revocation list needs a key prefix, so deployments sharing a Redis stay apart');
  // No offline queue: while Redis is away a check fails at once (the caller decides what that means) instead of hanging a request.
  const commands = createRedisClient(options.redisUrl, options.logger, `${options.service}-revocations`, { ...FAIL_FAST_REDIS_OPTIONS });
  // Until the first connection, a command waits for it briefly (a service just started is not yet
  // connected); after that, an outage fails commands at once.
  let firstConnection: Promise<void> | null = new Promise<void>((resolve) => commands.once('ready', () => resolve())).then(() => {
    firstConnection = null;
  });
  const connected = async () => {
    if (firstConnection)
      await Promise.race([firstConnection, new Promise((resolve) => setTimeout(resolve, FIRST_CONNECTION_WAIT_MS).unref())]);
  };
  let subscriber: ReturnType<typeof createRedisClient> | null = null;
  const listeners = new Set<(revocation: Revocation) => void>();
  const channel = `${options.prefix}:auth:revocations`;
  const sessionKey = (sessionId: string) => `${options.prefix}:auth:revoked-session:${sessionId}`;
  const roleKey = (userId: string) => `${options.prefix}:auth:role:${userId}`;

  /** Every listener hears every revocation: one that throws is logged, never allowed to stop the others or the client. */
  const notify = (revocation: Revocation) => {
    for (const listener of listeners) {
      try {
        listener(revocation);
      } catch (error) {
        options.logger.error('revocation listener failed', { error });
      }
    }
  };

  const ensureSubscribed = () => {
    if (subscriber) return;
    subscriber = createRedisClient(options.redisUrl, options.logger, `${options.service}-revocations-sub`);
    subscriber.on('message', (_channel: string, message: string) => {
      let revocation: unknown;
      try {
        revocation = JSON.parse(message);
      } catch {
        revocation = null;
      }
      if (!isRevocation(revocation)) {
        options.logger.warn('ignored a malformed revocation message');
        return;
      }
      notify(revocation);
    });
    void subscriber.subscribe(channel).catch((error: Error) => options.logger.error('revocation channel subscribe failed', { error }));
  };

  return {
    async revoke(revocation) {
      const ttl = options.ttlSeconds;
      if (ttl === undefined) throw new Error('this revocation list only reads and listens; the users subgraph records revocations');
      await connected();
      // Stored first: a gateway that misses the message still refuses the token on its next request.
      if (revocation.kind === 'session') await commands.set(sessionKey(revocation.sessionId), revocation.userId, 'EX', ttl);
      else await commands.set(roleKey(revocation.userId), JSON.stringify({ role: revocation.role, at: revocation.at }), 'EX', ttl);
      await commands.publish(channel, JSON.stringify(revocation));
    },
    async isRevoked(token) {
      await connected();
      if (token.sessionId === null) {
        const change = parseRoleChange(await commands.get(roleKey(token.userId)));
        return change !== null && issuedBeforeRoleChange(token, change.role, change.at);
      }
      const [session, role] = await commands.mget(sessionKey(token.sessionId), roleKey(token.userId));
      const change = parseRoleChange(role);
      return session !== null || (change !== null && issuedBeforeRoleChange(token, change.role, change.at));
    },
    onRevocation(listener) {
      ensureSubscribed();
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async dispose() {
      listeners.clear();
      subscriber?.disconnect();
      commands.disconnect();
    },
  };
}
