import { ExponentialBackoff, handleType, retry } from 'cockatiel';
import { SERVICE_CREDENTIAL_HEADER, type CredentialSigner } from '@supergraph/auth';
import {
  COMMIT_STOCK_MUTATION,
  RELEASE_STOCK_MUTATION,
  RESERVE_STOCK_MUTATION,
  type ReservedLine,
  type ReserveStockResult,
  type StockLine,
} from '@supergraph/contracts';
import { callService, ServiceCallError } from '@supergraph/subgraph-kit';

/**
 * The orders subgraph's only way to touch stock: the catalog's internal mutations. Every one of
 * them is idempotent per order id on the catalog's side, so each call is retried when the answer
 * was lost (timeout, reset, the catalog restarting or busy): a retry can never take or return
 * stock twice. Answers about the order itself (out of stock, no such product) are final.
 */
export interface CatalogClient {
  reserve(orderId: string, lines: StockLine[]): Promise<ReservedLine[]>;
  /** Gives back whatever the order's reservation holds. `attempts` overrides the retry budget (1: no retry). */
  release(orderId: string, options?: { attempts?: number }): Promise<void>;
  /** Marks a placed order's units as sold; one try (a reservation left held is still released correctly). */
  commit(orderId: string): Promise<void>;
}

export interface CatalogCallPolicy {
  /** How long one call may take before it counts as lost (ORDERS_CATALOG_TIMEOUT_MS). */
  timeoutMs: number;
  /** How many times a lost call is made in all (ORDERS_CATALOG_ATTEMPTS). */
  attempts: number;
}

/** Audience the catalog expects on the orders service's credentials (not the gateway's 'catalog'). */
const CATALOG_INTERNAL_AUDIENCE = 'catalog-internal';

export function createCatalogClient(catalogUrl: string, signer: CredentialSigner, policy: CatalogCallPolicy): CatalogClient {
  // Decorrelated jitter (cockatiel's default generator): many orders retrying at once spread out.
  const backoff = new ExponentialBackoff({ initialDelay: 100, maxDelay: 1_000 });
  const policies = new Map<number, ReturnType<typeof retry>>();
  const withRetries = (attempts: number) => {
    let chosen = policies.get(attempts);
    if (!chosen) {
      // Only lost or failed calls (ServiceCallError); a GraphQLError is the catalog's answer about the order.
      chosen = retry(handleType(ServiceCallError), { maxAttempts: attempts - 1, backoff });
      policies.set(attempts, chosen);
    }
    return chosen;
  };

  const call = async <T>(query: string, variables: Record<string, unknown>, attempts = policy.attempts): Promise<T> =>
    withRetries(attempts).execute(async () =>
      callService<T>(catalogUrl, query, variables, {
        // Signed with the orders service's own key: no user token and no gateway key can stand in for it.
        headers: { [SERVICE_CREDENTIAL_HEADER]: await signer.credentialFor(CATALOG_INTERNAL_AUDIENCE) },
        timeoutMs: policy.timeoutMs,
      }),
    );

  return {
    async reserve(orderId, lines) {
      return (await call<ReserveStockResult>(RESERVE_STOCK_MUTATION, { orderId, lines })).reserveStock;
    },
    async release(orderId, options = {}) {
      await call(RELEASE_STOCK_MUTATION, { orderId }, options.attempts);
    },
    async commit(orderId) {
      await call(COMMIT_STOCK_MUTATION, { orderId }, 1);
    },
  };
}
