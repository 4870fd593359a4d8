import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';

/** What the gateway keeps per request or subscription: the caller's credentials, forwarded to subgraphs as they are. */
export interface GatewayContext {
  authorization?: string;
  /** The client's address (see client-ip.ts), passed on so subgraphs can keep per-address budgets. */
  clientIp?: string;
}

/** Every HTTP call to a subgraph goes through here: the one place that adds headers to upstream requests. */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /**
   * Node's own fetch (undici) instead of the default make-fetch-happen: its pooled connections
   * are let go of after a few idle seconds and it honours the subgraph's Keep-Alive hint, so a
   * request is never sent on a connection the subgraph is closing for idleness at that moment
   * (which failed a request with "socket hang up").
   */
  override fetcher = fetch as unknown as RemoteGraphQLDataSource['fetcher'];

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    // Subgraphs verify the token themselves; the gateway only passes it on.
    const authorization = (context as GatewayContext | undefined)?.authorization;
    if (authorization) request.http?.headers.set('authorization', authorization);
    const clientIp = (context as GatewayContext | undefined)?.clientIp;
    if (clientIp) request.http?.headers.set('x-client-ip', clientIp);
  }
}
