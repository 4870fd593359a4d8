// Hive Gateway (its runtime, served by node:http as its docs show) with the supergraph's trust
// boundary: every subgraph request carries the service credential and the caller's Authorization.
// PEER_CACHE=on adds its response cache in Redis, public answers shared and others per token.
import { createServer } from 'node:http';
import { createGatewayRuntime, RedisCacheStorage } from '@graphql-hive/gateway';
import { announce, CREDENTIAL_HEADER, loadSupergraph, startCredentials, SUBGRAPHS } from './common.mjs';

const credentialFor = await startCredentials(SUBGRAPHS);
const caching = process.env.PEER_CACHE === 'on';

const quiet = { debug() {}, info() {}, warn() {}, error: console.error, log() {}, child: () => quiet };

const gateway = createGatewayRuntime({
  supergraph: loadSupergraph(),
  logging: 'error',
  landingPage: false,
  graphiql: false,
  propagateHeaders: {
    fromClientToSubgraphs: ({ request, subgraphName }) => ({
      [CREDENTIAL_HEADER]: credentialFor(subgraphName),
      authorization: request.headers.get('authorization'),
    }),
  },
  ...(caching
    ? {
        cache: new RedisCacheStorage({ url: process.env.REDIS_URL, logger: quiet }),
        responseCaching: {
          // One entry per token for signed-in callers, one shared entry for anonymous ones.
          session: (request) => request.headers.get('authorization') ?? null,
          ttl: Number(process.env.PEER_CACHE_TTL_MS ?? 30_000),
        },
      }
    : {}),
});

const server = createServer(gateway);
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => announce(server.address().port));
