import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { startSubgraph, type RunningSubgraph, type StartOptions } from '@supergraph/subgraph-kit';
import { ensureAdmin } from './admin.js';
import type { UsersConfig } from './config.js';
import { createContext, type UsersContext } from './context.js';
import { registerUserModel } from './model.js';
import { resolvers } from './resolvers.js';

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
        return { createContext: (authorization) => createContext({ users, tokens, logger }, authorization) };
      },
    },
    config,
    options,
  );
}
