import { AsyncLocalStorage } from 'node:async_hooks';
import { RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { getOperationAST, GraphQLError, OperationTypeNode, parse, type GraphQLSchema } from 'graphql';
import { SERVICE_CREDENTIAL_HEADER, type CredentialSigner } from '@supergraph/auth';
import { ErrorCode, REQUEST_ID_HEADER, currentRequestScope } from '@supergraph/runtime';
import type { ClientIdentity } from './admission.js';
import { unavailablePaths } from './upstream/error-paths.js';
import type { SubgraphClient, UpstreamRequestInit } from './upstream/subgraph-client.js';
import { SubgraphUnavailableError } from './upstream/unavailable.js';
import type { InFlightRequests } from './upstream/in-flight.js';

/** What a data source answers (the gateway-interface type, reached through the class that uses it). */
type SubgraphResponse = Awaited<ReturnType<RemoteGraphQLDataSource<GatewayContext>['process']>>;

/** What the gateway keeps per request or subscription: the caller's credentials, forwarded to subgraphs as they are. */
export interface GatewayContext {
  authorization?: string;
  /** The client's address (see client-ip.ts), passed on so subgraphs can keep per-address budgets. */
  clientIp?: string;
  /** Who the gateway's budgets and revocation checks took the caller for. */
  client?: ClientIdentity;
}

/**
 * Whether the call under way may be retried. RemoteGraphQLDataSource calls its fetcher with only
 * a URL and a request body, so process() says it here for the fetcher it ends up calling.
 */
const currentCall = new AsyncLocalStorage<{ retryable: boolean; shareable: boolean }>();

/**
 * Every HTTP call to a subgraph goes through here: the one place that adds headers to upstream
 * requests, and where a subgraph that cannot answer becomes SUBGRAPH_UNAVAILABLE errors at the
 * fields it would have filled, so the rest of the response still arrives.
 */
export class AuthForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    /** The subgraph this source calls: the audience of the credential it sends. */
    private readonly subgraph: string,
    private readonly signer: CredentialSigner,
    /** Timeout, connection pool, breaker and retries for this subgraph. */
    private readonly upstream: SubgraphClient,
    /** The API schema being served (for where errors go), when the request does not carry it. */
    private readonly apiSchema: () => GraphQLSchema | undefined = () => undefined,
    /** Where identical queries in flight share one request (SUBGRAPH_DEDUP); none: every request is sent. */
    private readonly inFlight?: InFlightRequests,
  ) {
    super(config);
  }

  /**
   * undici (SubgraphClient) instead of the default make-fetch-happen: a bounded keep-alive pool
   * whose idle connections are let go of before the subgraph closes them (a request sent on a
   * connection being closed failed with "socket hang up"), and a deadline on every call.
   */
  override fetcher = ((url: string, init: UpstreamRequestInit) => {
    const call = currentCall.getStore();
    const send = () => this.upstream.fetch(url, init, { retryable: call?.retryable ?? false });
    if (!this.inFlight || !call?.shareable) return send();
    // What makes two requests differ for the subgraph: where it goes, who asks (the user's token),
    // and the operation with its variables. The service credential is the same for every caller;
    // the client's address only matters to mutations (log-in budgets), which are never shared.
    const key = JSON.stringify([url, init.headers?.authorization ?? '', init.body ?? '']);
    return this.inFlight.share(key, send);
  }) as unknown as RemoteGraphQLDataSource['fetcher'];

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<SubgraphResponse> {
    try {
      const query = isQuery(options);
      return await currentCall.run({ retryable: query, shareable: query && 'incomingRequestContext' in options }, () =>
        super.process(options),
      );
    } catch (error) {
      if (!(error instanceof SubgraphUnavailableError) || !('incomingRequestContext' in options)) throw error;
      const { request } = options;
      const document = options.document ?? (request.query ? parse(request.query) : undefined);
      const schema = options.incomingRequestContext.schema ?? this.apiSchema();
      const paths = document ? unavailablePaths(document, request.variables, schema) : [];
      const extensions = { code: ErrorCode.SubgraphUnavailable };
      // The gateway puts these at the right place in the client's response (prefixing the path
      // with where this fetch sits) and leaves the fields null; other subgraphs' data stays.
      return {
        errors: paths.length
          ? paths.map((path) => ({ message: error.message, path, extensions }))
          : [{ message: error.message, extensions }],
      };
    }
  }

  /**
   * A subgraph that answered 4xx: Apollo's error carries the subgraph's URL and raw answer in
   * `extensions.response`, and 401/403 keep a client code, so they would reach the client. Only
   * the status and the code stay.
   */
  override async errorFromResponse(response: Parameters<RemoteGraphQLDataSource['errorFromResponse']>[0]): Promise<GraphQLError> {
    const error = await super.errorFromResponse(response);
    const { response: _response, ...extensions } = error.extensions;
    return new GraphQLError(error.message, { extensions });
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    // The trust boundary: subgraphs serve GraphQL only to requests carrying the gateway's credential.
    request.http?.headers.set(SERVICE_CREDENTIAL_HEADER, await this.signer.credentialFor(this.subgraph));
    // Subgraphs verify the user's token themselves; the gateway passes it on.
    const authorization = (context as GatewayContext | undefined)?.authorization;
    if (authorization) request.http?.headers.set('authorization', authorization);
    const clientIp = (context as GatewayContext | undefined)?.clientIp;
    if (clientIp) request.http?.headers.set('x-client-ip', clientIp);
    // The subgraph's log lines for this fetch carry the client request's id. (A fetch shared by
    // in-flight deduplication carries the id of the request that sent it.)
    const scope = currentRequestScope();
    if (scope) request.http?.headers.set(REQUEST_ID_HEADER, scope.requestId);
  }
}

/**
 * Only queries are retried: a mutation sent twice could place two orders. What cannot be told
 * counts as not a query. The gateway's query plans do not carry the fetch's document by default,
 * so the operation's first word is read from its text (which the query planner prints with the
 * operation first) rather than parsing every fetch.
 */
function isQuery(options: GraphQLDataSourceProcessOptions<GatewayContext>): boolean {
  const document = 'document' in options ? options.document : undefined;
  if (document) return getOperationAST(document, options.request.operationName)?.operation === OperationTypeNode.QUERY;
  const query = options.request.query ?? '';
  const first = /^\s*(\{|[A-Za-z_]\w*)/.exec(query)?.[1];
  if (first === '{' || first === 'query') return true;
  if (first !== 'fragment') return false;
  try {
    return getOperationAST(parse(query), options.request.operationName)?.operation === OperationTypeNode.QUERY;
  } catch {
    return false;
  }
}
