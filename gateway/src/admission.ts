import type { Redis } from 'ioredis';
import { GraphQLError } from 'graphql';
import {
  AccessTokenVerifier,
  createRevocationCheck,
  SESSION_ENDED_MESSAGE,
  tokenIdentity,
  type RevocationList,
  type TokenIdentity,
} from '@supergraph/auth';
import { createRateLimit } from '@supergraph/rate-limits';
import { ErrorCode, HttpError, type Logger } from '@supergraph/runtime';
import type { ClientLimits } from './config.js';

/** Who a request is from, as far as the gateway's budgets and revocations go. */
export interface ClientIdentity {
  /** The verified token's user, role and session; null for anonymous callers and tokens that do not verify. */
  token: TokenIdentity | null;
  /** What budgets count by: `user:<id>` when logged in, else `ip:<address>`. */
  clientKey: string;
}

/**
 * The gateway's front door for every operation, whatever the transport: it verifies the access
 * token (with public keys only), refuses revoked ones, and counts the client's request budget in
 * Redis (shared by every gateway instance). A token that does not verify is not refused here: the
 * subgraphs report what is wrong with it where a field needs a viewer, as before.
 */
export function createAdmission(options: {
  userTokenKeys: ConstructorParameters<typeof AccessTokenVerifier>[0];
  revocations: RevocationList;
  limits: ClientLimits;
  redis: Redis | null;
  prefix: string;
  logger: Logger;
  /** Told of every request refused for a spent budget, for metrics. */
  onRefused?: (budget: 'user' | 'ip') => void;
}) {
  const verifier = new AccessTokenVerifier(options.userTokenKeys);
  const store = { redis: options.redis, prefix: options.prefix };
  const perUser = createRateLimit(
    { name: 'requests-per-user', points: options.limits.requestsPerMinutePerUser, durationSeconds: 60 },
    store,
  );
  const perIp = createRateLimit({ name: 'requests-per-ip', points: options.limits.requestsPerMinutePerIp, durationSeconds: 60 }, store);
  // Fails open while Redis is away: an access token lives 15 minutes at most, and refusing every logged-in request would be worse.
  const check = createRevocationCheck({
    revocations: options.revocations,
    logger: options.logger,
    whileUnknown: 'serving tokens as valid',
  });
  const revoked = async (token: TokenIdentity) => (await check(token)) === 'revoked';

  return {
    /** Verifies a token and checks it is not revoked; throws a 401 HttpError for a revoked one. */
    async identify(authorization: string | undefined, clientIp: string | undefined): Promise<ClientIdentity> {
      const auth = await verifier.authenticate(authorization);
      const token = tokenIdentity(auth);
      if (token && (await revoked(token))) throw new HttpError(401, SESSION_ENDED_MESSAGE, ErrorCode.Unauthenticated);
      return { token, clientKey: token ? `user:${token.userId}` : `ip:${clientIp ?? 'unknown'}` };
    },

    /** False once the client's token has been revoked (for operations sent over a socket opened before). */
    async stillValid(client: ClientIdentity): Promise<boolean> {
      return client.token === null || !(await revoked(client.token));
    },

    /** Takes one request from the client's budget; once it is spent, the RATE_LIMITED refusal (else null). */
    async spend(client: ClientIdentity): Promise<GraphQLError | null> {
      const budget = client.token ? perUser : perIp;
      try {
        await budget.consume(client.clientKey, 'Too many requests from this client');
        return null;
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        options.onRefused?.(client.token ? 'user' : 'ip');
        return error;
      }
    },
  };
}

export type Admission = ReturnType<typeof createAdmission>;

/** A budget refusal as an HTTP answer: 429 with Retry-After. */
export function tooManyRequests(refusal: GraphQLError): HttpError {
  const retryAfterSeconds = Number(refusal.extensions.retryAfterSeconds) || 1;
  return new HttpError(429, refusal.message, ErrorCode.RateLimited, {
    headers: { 'retry-after': String(retryAfterSeconds) },
    extensions: { limit: refusal.extensions.limit, retryAfterSeconds },
  });
}
