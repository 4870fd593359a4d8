import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { AccessTokenIssuer, createRedisRevocationList } from '@supergraph/auth';
import { createJobQueues } from '@supergraph/jobs';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS } from '@supergraph/runtime';
import { startSubgraph, type RunningSubgraph, type StartOptions } from '@supergraph/subgraph-kit';
import { createCredentialLimits } from './credential-limits.js';
import { ensureAdmin } from './admin.js';
import type { UsersConfig } from './config.js';
import { createContext, type UsersContext } from './context.js';
import { registerUserModel } from './model.js';
import { createOtpBudgets, otpHashKey, type OtpServices } from './otp.js';
import { registerOtpModel } from './otp-model.js';
import { createPhoneOwners, registerPhoneOwnerModel } from './phone-owners.js';
import { resolvers } from './resolvers.js';
import { createSessions, registerSessionModel } from './sessions.js';

export { loadUsersConfig, type UsersConfig } from './config.js';
export { createContext } from './context.js';

/** Starts the users subgraph; port 0 picks a free port. No side effects on import. */
export function start(config: UsersConfig, options: StartOptions = {}): Promise<RunningSubgraph> {
  return startSubgraph<UsersContext>(
    {
      name: 'users',
      schemaUrl: new URL('../schema.graphql', import.meta.url),
      // The resolvers are typed by the generated `Resolvers` (typed parents, arguments and results);
      // @apollo/subgraph's GraphQLResolverMap is looser but declares every resolver as
      // (parent, args, context, info), while __resolveReference really is (reference, context, info),
      // so TypeScript will not take one for the other. At run time it is the same plain resolver map.
      resolvers: resolvers as GraphQLResolverMap<UsersContext>,
      async setup({ connection, tokens, logger }) {
        const users = registerUserModel(connection);
        await users.syncIndexes();
        if (config.admin) await ensureAdmin(users, config.admin.email, config.admin.password, logger);
        // Its own client without an offline queue: while Redis is away, budgets fall back to memory
        // at once instead of waiting for a reconnect.
        const limitsRedis = createRedisClient(config.redisUrl, logger, 'users-rate-limits', { ...FAIL_FAST_REDIS_OPTIONS });
        const credentialLimits = createCredentialLimits(config.credentialLimits, { redis: limitsRedis, prefix: config.redisPrefix });
        const sessionModel = registerSessionModel(connection);
        await sessionModel.syncIndexes();
        const revocations = createRedisRevocationList({
          redisUrl: config.redisUrl,
          prefix: config.redisPrefix,
          // Kept a minute longer than a token lives, for clocks a little apart.
          ttlSeconds: config.sessions.accessTokenTtlSeconds + 60,
          logger,
          service: 'users',
        });
        const sessions = createSessions({ sessions: sessionModel, revocations, config: config.sessions, logger });
        const issuer = new AccessTokenIssuer(config.tokenSigningKey, config.sessions.accessTokenTtlSeconds);
        const jobs = createJobQueues({
          redisUrl: config.redisUrl,
          redisPrefix: config.redisPrefix,
          logger,
          config: config.jobs,
          name: 'users',
        });
        const otp: OtpServices = {
          challenges: registerOtpModel(connection),
          jobs,
          config: config.otp,
          hashKey: otpHashKey(config.tokenSigningKey.d),
          logger,
          budgets: createOtpBudgets(config.otp.limits, { redis: limitsRedis, prefix: config.redisPrefix }),
        };
        const phoneOwners = createPhoneOwners(registerPhoneOwnerModel(connection), users);
        const services = { users, tokens, issuer, sessions, revocations, logger, credentialLimits, otp, phoneOwners };
        return {
          createContext: (authorization, caller) => createContext(services, authorization, caller),
          onStop: async () => {
            await jobs.close();
            limitsRedis.disconnect();
            await revocations.dispose();
          },
        };
      },
    },
    config,
    options,
  );
}
