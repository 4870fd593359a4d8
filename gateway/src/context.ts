import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';

/** What the gateway keeps per request or subscription: the caller's credentials, forwarded to subgraphs as they are. */
export interface GatewayContext {
  authorization?: string;
}

/** Every HTTP call to a subgraph goes through here: the one place that adds headers to upstream requests. */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Subgraphs verify the token themselves; the gateway only passes it on.
    const authorization = (context as GatewayContext | undefined)?.authorization;
    if (authorization) request.http?.headers.set('authorization', authorization);
  }
}
