import type { Logger } from '@supergraph/runtime';
import type { RevocationList, TokenIdentity } from './revocations.js';
import type { AuthState } from './viewer.js';

/** A token whose session ended or whose role changed: refused with 401, so the client refreshes or logs in again. */
export const SESSION_ENDED_MESSAGE = 'This session has ended (logged out, or the account changed); refresh the session or log in again';

/** The verified token's user, role and session, as revocations see it; null when `auth` holds no verified token. */
export function tokenIdentity(auth: AuthState): TokenIdentity | null {
  if (!auth.viewer || !auth.token) return null;
  return { userId: auth.viewer.id, role: auth.viewer.role, sessionId: auth.token.sessionId, issuedAt: auth.token.issuedAt };
}

/** `unknown`: Redis could not be asked; what that means (serve or refuse) is the caller's choice. */
export type RevocationStatus = 'valid' | 'revoked' | 'unknown';

/** How often an outage is logged while revocations cannot be checked: once per request would flood the log. */
const OUTAGE_LOG_INTERVAL_MS = 10_000;

/**
 * The per-request question every service that admits access tokens asks (the gateway, the queue
 * dashboard): was this verified token revoked since it was issued? Never throws; a Redis outage
 * answers `unknown` and is logged at most every 10 s, saying what the service does meanwhile.
 */
export function createRevocationCheck(options: {
  revocations: RevocationList;
  logger: Logger;
  /** What the service does with tokens while Redis is away, for the outage's log line ("serving tokens as valid"). */
  whileUnknown: string;
}): (token: TokenIdentity) => Promise<RevocationStatus> {
  let lastOutageLog = 0;
  return async (token) => {
    try {
      return (await options.revocations.isRevoked(token)) ? 'revoked' : 'valid';
    } catch (error) {
      if (Date.now() - lastOutageLog > OUTAGE_LOG_INTERVAL_MS) {
        lastOutageLog = Date.now();
        options.logger.warn(`revocations cannot be checked; ${options.whileUnknown} until Redis is back`, {
          error: (error as Error).message,
        });
      }
      return 'unknown';
    }
  };
}
