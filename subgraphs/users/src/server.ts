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
      resolvers,
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
