import type { IncomingMessage } from 'node:http';
import type { BaseContext } from '@apollo/server';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { Connection } from 'mongoose';
import type { Redis } from 'ioredis';
import { authorizationFrom, TokenService } from '@supergraph/auth';
import { createOperationLimits } from '@supergraph/limits';
import { createGraphQLHandler, createLogger, createRedisClient, listen, pingRedis, type Logger } from '@supergraph/runtime';
import type { SubgraphConfig } from './config.js';
import { createRedisEventBus, type EventBus } from './events.js';
import { connectMongo, pingMongo, type MongoOptions } from './mongo.js';
import { createSubgraphApollo, createSubgraphSchema } from './subgraph-apollo.js';
import { serveSubscriptions } from './subscription-server.js';

/** Where a request comes from, as far as a subgraph can tell. */
export interface CallerInfo {
  /** The client's address: as the gateway saw it (`x-client-ip`), else the connection's own. */
  ip: string | undefined;
}

/**
 * The gateway forwards the address of the client it served in `x-client-ip`. Subgraphs listen on
 * 127.0.0.1 by default, so only processes on this machine can set it.
 */
function clientIpOf(req: IncomingMessage): string | undefined {
  const forwarded = req.headers['x-client-ip'];
  return (typeof forwarded === 'string' && forwarded !== '' ? forwarded : undefined) ?? req.socket.remoteAddress;
}

/** What every subgraph gets from the shared bootstrap. */
export interface SubgraphDeps {
  config: SubgraphConfig;
  logger: Logger;
  connection: Connection;
  redis: Redis;
  events: EventBus;
  tokens: TokenService;
}

export interface SubgraphDefinition<TContext extends BaseContext> {
  name: string;
  schemaUrl: URL;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * Registers models, syncs indexes, and returns the context factory: called per
   * HTTP request and per WebSocket subscription with the caller's Authorization value.
   */
  setup(deps: SubgraphDeps): Promise<{
    createContext: (authorization: string | undefined, caller: CallerInfo) => Promise<TContext>;
    onStop?: () => Promise<void>;
  }>;
}

export interface RunningSubgraph {
  name: string;
  url: string;
  port: number;
  deps: SubgraphDeps;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  mongo?: MongoOptions;
}

/** Connects to MongoDB and Redis, then serves the subgraph over HTTP. */
export async function startSubgraph<TContext extends BaseContext>(
  definition: SubgraphDefinition<TContext>,
  config: SubgraphConfig,
  options: StartOptions = {},
): Promise<RunningSubgraph> {
  const logger = options.logger ?? createLogger(definition.name, config.logLevel);
  const connection = await connectMongo(config.mongodbUri, logger, options.mongo);
  const redis = createRedisClient(config.redisUrl, logger, `${definition.name}-commands`);
  const events = createRedisEventBus(config.redisUrl, config.redisPrefix, logger);
  const deps: SubgraphDeps = { config, logger, connection, redis, events, tokens: new TokenService(config.jwtSecret) };

  const closeClients = async () => {
    await events.dispose();
    redis.disconnect();
    connection.removeAllListeners('disconnected'); // closing on purpose is not an outage
    await connection.close();
  };

  try {
    const { createContext, onStop } = await definition.setup(deps);
    const schema = createSubgraphSchema(definition.schemaUrl, definition.resolvers);
    const limits = createOperationLimits(config.operationLimits);
    const apollo = createSubgraphApollo<TContext>({
      schema,
      logger,
      production: config.nodeEnv === 'production',
      limits,
    });
    await apollo.start();
    const handler = createGraphQLHandler<TContext>({
      apollo,
      context: (req) => createContext(req.headers.authorization, { ip: clientIpOf(req) }),
      checkDocument: limits.checkSource,
      logger,
      readiness: [
        { name: 'mongodb', check: () => pingMongo(connection) },
        { name: 'redis', check: () => pingRedis(redis) },
      ],
    });
    const http = await listen(handler, config.port, config.host);
    // Subscriptions: the gateway connects here with graphql-ws and forwards the client's token in connection_init.
    const subscriptions = serveSubscriptions(http.server, {
      schema,
      logger,
      context: (connectionParams) => createContext(authorizationFrom(connectionParams), { ip: undefined }),
      keepAliveMs: config.wsKeepAliveMs,
      limits,
      production: config.nodeEnv === 'production',
    });
    logger.info('listening', { port: http.port, url: `${http.url}/graphql` });
    return {
      name: definition.name,
      url: `${http.url}/graphql`,
      port: http.port,
      deps,
      async stop() {
        await subscriptions.close();
        await http.close();
        await apollo.stop();
        await onStop?.();
        await closeClients();
      },
    };
  } catch (error) {
    await closeClients();
    throw error;
  }
}
