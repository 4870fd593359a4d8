// Plain @apollo/gateway + @apollo/server set up as Apollo's documentation shows, plus only what the
// supergraph's trust boundary requires: the service credential and the caller's Authorization.
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { announce, CREDENTIAL_HEADER, loadSupergraph, startCredentials, SUBGRAPHS } from './common.mjs';

const credentialFor = await startCredentials(SUBGRAPHS);

const gateway = new ApolloGateway({
  supergraphSdl: loadSupergraph(),
  buildService: ({ name, url }) =>
    new RemoteGraphQLDataSource({
      url,
      willSendRequest({ request, context }) {
        request.http.headers.set(CREDENTIAL_HEADER, credentialFor(name));
        if (context.authorization) request.http.headers.set('authorization', context.authorization);
      },
    }),
});

const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT ?? 0), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
announce(Number(new URL(url).port));
