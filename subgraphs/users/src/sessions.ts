import { createHash, randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { RevocationList } from '@supergraph/auth';
import { appError, ErrorCode, type Logger } from '@supergraph/runtime';
import type { SessionConfig } from './config.js';

/**
 * A login on one device: a family of refresh tokens, each exchanged once for the next. Only
 * hashes are stored, so a copy of the database cannot be used to resume anyone's session.
 */
export interface SessionDoc {
  /** Random, also the first part of every refresh token of the family. */
  _id: string;
  userId: Types.ObjectId;
  /** SHA-256 of the refresh token that may be exchanged now. */
  tokenHash: string;
  /** The token the current one replaced, exchangeable once more within the retry grace. */
  previousHash: string | null;
  rotatedAt: Date | null;
  /** Older tokens of the family: presenting one means it was copied, so the session ends. */
  retiredHashes: string[];
  idleExpiresAt: Date;
  maxExpiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  createdAt: Date;
}

/** Enough history to recognise a stolen token replayed days later without the document growing forever. */
const RETIRED_HASHES_KEPT = 50;

const sessionSchema = new Schema<SessionDoc>(
  {
    _id: { type: String, required: true },
    userId: { type: Schema.Types.ObjectId, required: true },
    tokenHash: { type: String, required: true },
    previousHash: { type: String, default: null },
    rotatedAt: { type: Date, default: null },
    retiredHashes: { type: [String], default: [] },
    idleExpiresAt: { type: Date, required: true },
    maxExpiresAt: { type: Date, required: true },
    revokedAt: { type: Date, default: null },
    revokedReason: { type: String, default: null },
  },
  { collection: 'sessions', timestamps: { createdAt: true, updatedAt: false }, versionKey: false },
);
sessionSchema.index({ userId: 1 });

export type SessionModel = Model<SessionDoc>;

export function registerSessionModel(connection: Connection): SessionModel {
  return connection.model<SessionDoc>('Session', sessionSchema);
}

const TOKEN_FORMAT = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

function newToken(sessionId: string): { token: string; hash: string } {
  const token = `${sessionId}.${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashOf(token) };
}

/** The session id a refresh token names, or null when it is not one of ours. */
export function sessionIdOf(refreshToken: string): string | null {
  return TOKEN_FORMAT.exec(refreshToken)?.[1] ?? null;
}

const refused = (message: string) => appError(ErrorCode.Unauthenticated, message);

export interface Rotated {
  sessionId: string;
  userId: string;
  refreshToken: string;
}

export function createSessions(deps: { sessions: SessionModel; revocations: RevocationList; config: SessionConfig; logger: Logger }) {
  const { sessions, revocations, config, logger } = deps;
  const idleUntil = (now: number, max: Date) => new Date(Math.min(now + config.idleSeconds * 1000, max.getTime()));

  async function end(session: Pick<SessionDoc, '_id' | 'userId'>, reason: string): Promise<boolean> {
    const ended = await sessions.findOneAndUpdate(
      { _id: session._id, revokedAt: null },
      { $set: { revokedAt: new Date(), revokedReason: reason } },
      { new: true },
    );
    // Told even when another request ended it first: revoking twice is harmless, missing it is not.
    // With Redis away the session is still ended here (no refresh will work); its last access
    // token then lives out its few minutes, which the log says.
    await revocations.revoke({ kind: 'session', userId: String(session.userId), sessionId: session._id }).catch((error: Error) => {
      logger.error('session ended but its revocation could not be published', { sessionId: session._id, error: error.message });
    });
    if (ended) logger.info('session ended', { sessionId: session._id, reason });
    return ended !== null;
  }

  /** Moves the family on from `from` (the hash being exchanged), keeping the one it replaces as retired. */
  async function rotate(session: SessionDoc, from: 'current' | 'previous'): Promise<Rotated | null> {
    const now = Date.now();
    const next = newToken(session._id);
    const filter = { _id: session._id, revokedAt: null, tokenHash: session.tokenHash, previousHash: session.previousHash };
    const update =
      from === 'current'
        ? {
            tokenHash: next.hash,
            previousHash: session.tokenHash,
            rotatedAt: new Date(now),
            retiredHashes: [...session.retiredHashes, ...(session.previousHash ? [session.previousHash] : [])].slice(-RETIRED_HASHES_KEPT),
          }
        : // A retry of the exchange just made: the token handed out then (never received) is retired,
          // and so is the retried one, so the grace covers one retry only.
          {
            tokenHash: next.hash,
            previousHash: null,
            retiredHashes: [...session.retiredHashes, session.tokenHash, session.previousHash!].slice(-RETIRED_HASHES_KEPT),
          };
    // Conditional on the hashes read: of two exchanges racing, one wins and the other reads again.
    const updated = await sessions.findOneAndUpdate(
      filter,
      { $set: { ...update, idleExpiresAt: idleUntil(now, session.maxExpiresAt) } },
      { new: true },
    );
    return updated ? { sessionId: session._id, userId: String(session.userId), refreshToken: next.token } : null;
  }

  return {
    /** Starts a session for a user who just proved their password. */
    async start(userId: Types.ObjectId): Promise<Rotated> {
      const now = Date.now();
      const sessionId = randomBytes(16).toString('hex');
      const first = newToken(sessionId);
      const maxExpiresAt = new Date(now + config.maxSeconds * 1000);
      await sessions.create({ _id: sessionId, userId, tokenHash: first.hash, idleExpiresAt: idleUntil(now, maxExpiresAt), maxExpiresAt });
      return { sessionId, userId: String(userId), refreshToken: first.token };
    },

    /**
     * Exchanges a refresh token for the next one of its family. A token exchanged before (outside
     * the retry grace) has been copied: the whole session ends and every gateway drops its streams.
     * `beforeExchange` runs once the token is known to be the right one (the session's budget).
     */
    async refresh(refreshToken: string, beforeExchange: (sessionId: string) => Promise<void> = async () => {}): Promise<Rotated> {
      const sessionId = sessionIdOf(refreshToken);
      if (!sessionId) throw refused('The refresh token is not valid; log in again');
      const hash = hashOf(refreshToken);
      // Two tries: an exchange racing this one may move the family on between the read and the write.
      for (let attempt = 0; attempt < 2; attempt++) {
        const session = await sessions.findById(sessionId).lean();
        if (!session) throw refused('The refresh token is not valid; log in again');
        if (session.revokedAt) throw refused('This session has ended; log in again');
        const now = Date.now();
        if (session.idleExpiresAt.getTime() <= now || session.maxExpiresAt.getTime() <= now) {
          throw refused('This session has expired; log in again');
        }
        let rotated: Rotated | null;
        const inGrace = session.rotatedAt !== null && now - session.rotatedAt.getTime() <= config.retryGraceSeconds * 1000;
        // Only a holder of the right token spends the session's refresh budget, so nobody who knows
        // just the session id (it is in every access token) can use it up.
        if (hash === session.tokenHash || (hash === session.previousHash && inGrace)) await beforeExchange(sessionId);
        if (hash === session.tokenHash) {
          rotated = await rotate(session, 'current');
        } else if (hash === session.previousHash && inGrace) {
          rotated = await rotate(session, 'previous');
        } else if (hash === session.previousHash || session.retiredHashes.includes(hash)) {
          await end(session, 'refresh-token-reused');
          logger.warn('refresh token reused; session ended', { sessionId });
          throw refused('This refresh token was already used, so the session has been ended to protect the account; log in again');
        } else {
          throw refused('The refresh token is not valid; log in again');
        }
        if (rotated) return rotated;
      }
      throw appError(ErrorCode.Conflict, 'The session changed while it was being refreshed; try again');
    },

    /** Ends the session a refresh token belongs to; false when it had already ended or the token is not current. */
    async endByToken(refreshToken: string): Promise<boolean> {
      const sessionId = sessionIdOf(refreshToken);
      if (!sessionId) return false;
      const session = await sessions.findById(sessionId).lean();
      const hash = hashOf(refreshToken);
      if (!session || (hash !== session.tokenHash && hash !== session.previousHash)) return false;
      return end(session, 'logged-out');
    },

    /** Ends a session by id, for a user logging out with their access token; false when it was not theirs or had ended. */
    async endById(sessionId: string, userId: string): Promise<boolean> {
      const session = await sessions.findById(sessionId).lean();
      if (!session || String(session.userId) !== userId) return false;
      return end(session, 'logged-out');
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
