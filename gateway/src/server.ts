import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloGateway, IntrospectAndCompose, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import {
  createGraphQLHandler,
  createLogger,
  createRedisClient,
  listen,
  pingRedis,
  type Logger,
} from '@supergraph/shared';
import type { GatewayConfig, SubgraphName } from './config.js';
import { createGatewayErrorFormatter } from './errors.js';

export { loadGatewayConfig, type GatewayConfig } from './config.js';

/** What the gateway keeps per request: the caller's credentials, forwarded to subgraphs as they are. */
export interface GatewayContext {
  authorization?: string;
}

/** Every call to a subgraph goes through here: the one place that adds headers to upstream requests. */
class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Subgraphs verify the token themselves; the gateway only passes it on.
    if (context?.authorization) request.http?.headers.set('authorization', context.authorization);
  }
}

export function createGateway(config: GatewayConfig): ApolloGateway {
  const buildService = ({ name, url }: { name: string; url?: string }) =>
    new AuthForwardingDataSource({ url: config.subgraphUrls[name as SubgraphName] ?? url });
  if (config.supergraphSource === 'introspect') {
    const subgraphs = Object.entries(config.subgraphUrls).map(([name, url]) => ({ name, url: url! }));
    return new ApolloGateway({ supergraphSdl: new IntrospectAndCompose({ subgraphs }), buildService });
  }
  return new ApolloGateway({ supergraphSdl: readFileSync(config.supergraphPath, 'utf8'), buildService });
}

export interface RunningGateway {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the gateway; port 0 picks a free port. No side effects on import. */
export async function start(config: GatewayConfig, options: { logger?: Logger } = {}): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger('gateway', config.logLevel);
  const production = config.nodeEnv === 'production';
  const redis = createRedisClient(config.redisUrl, logger, 'gateway-commands');
  const apollo = new ApolloServer<GatewayContext>({
    gateway: createGateway(config),
    introspection: !production,
    includeStacktraceInErrorResponses: false,
    formatError: createGatewayErrorFormatter(logger),
    // runService owns SIGINT/SIGTERM and stops HTTP, Apollo and the clients in order.
    stopOnTerminationSignals: false,
    plugins: [
      // Sandbox is a development tool; production serves only the API.
      production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  try {
    await apollo.start();
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const handler = createGraphQLHandler<GatewayContext>({
    apollo,
    logger,
    corsOrigins: config.corsOrigins,
    context: async (req) => ({ authorization: req.headers.authorization }),
    readiness: [{ name: 'redis', check: () => pingRedis(redis) }],
  });
  const http = await listen(handler, config.port, config.host);
  logger.info('listening', { port: http.port, url: `${http.url}/graphql` });
  return {
    url: `${http.url}/graphql`,
    port: http.port,
    async stop() {
      await http.close();
      await apollo.stop();
      redis.disconnect();
    },
  };
}
