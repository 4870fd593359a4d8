import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { SERVICE_CREDENTIAL_HEADER, type CredentialSigner } from '@supergraph/auth';
import type { ClientIdentity } from './admission.js';

/** What the gateway keeps per request or subscription: the caller's credentials, forwarded to subgraphs as they are. */
export interface GatewayContext {
  authorization?: string;
  /** The client's address (see client-ip.ts), passed on so subgraphs can keep per-address budgets. */
  clientIp?: string;
  /** Who the gateway's budgets and revocation checks took the caller for. */
  client?: ClientIdentity;
}

/** Every HTTP call to a subgraph goes through here: the one place that adds headers to upstream requests. */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    /** The subgraph this source calls: the audience of the credential it sends. */
    private readonly subgraph: string,
    private readonly signer: CredentialSigner,
  ) {
    super(config);
  }

  /**
   * Node's own fetch (undici) instead of the default make-fetch-happen: its pooled connections
   * are let go of after a few idle seconds and it honours the subgraph's Keep-Alive hint, so a
   * request is never sent on a connection the subgraph is closing for idleness at that moment
   * (which failed a request with "socket hang up").
   */
  override fetcher = fetch as unknown as RemoteGraphQLDataSource['fetcher'];

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    // The trust boundary: subgraphs serve GraphQL only to requests carrying the gateway's credential.
    request.http?.headers.set(SERVICE_CREDENTIAL_HEADER, await this.signer.credentialFor(this.subgraph));
    // Subgraphs verify the user's token themselves; the gateway passes it on.
    const authorization = (context as GatewayContext | undefined)?.authorization;
    if (authorization) request.http?.headers.set('authorization', authorization);
    const clientIp = (context as GatewayContext | undefined)?.clientIp;
    if (clientIp) request.http?.headers.set('x-client-ip', clientIp);
  }
}
