import type { ExecutionArgs, ExecutionResult } from 'graphql';
import type { IncomingMessage } from 'node:http';
import type { ClientIdentity } from '../admission.js';
import type { ClientGuard } from './client-guard.js';
import type { OperationPreparer, SubscriptionContext } from './prepare.js';

/** What a transport needs from the rest of the subscription layer. */
export interface TransportHandlers {
  prepare: OperationPreparer;
  /** Runs a prepared subscription: the client's own stream of results. */
  subscribe: (args: ExecutionArgs) => AsyncIterableIterator<ExecutionResult>;
  /** Runs a query or mutation sent over the stream, through the HTTP path's Apollo Server. */
  execute: (args: ExecutionArgs) => Promise<ExecutionResult>;
  /** A result's errors as the client sees them, or undefined to send the result as it is. */
  formatResult: (result: ExecutionResult) => ExecutionResult | undefined;
  /** The client's address for a request (passed on to subgraphs for per-address budgets). */
  clientIp?: (req: IncomingMessage) => string | undefined;
  /** Revoked tokens, budgets, caps and revocation callbacks. */
  guard: ClientGuard;
}

/** Prepared execution args with who the client is added to their context. */
export function withClient(args: ExecutionArgs, clientIp: string | undefined, client: ClientIdentity): ExecutionArgs {
  return { ...args, contextValue: { ...(args.contextValue as SubscriptionContext), clientIp, client } };
}
