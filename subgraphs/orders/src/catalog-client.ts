import { SERVICE_CREDENTIAL_HEADER, type CredentialSigner } from '@supergraph/auth';
import {
  RELEASE_STOCK_MUTATION,
  RESERVE_STOCK_MUTATION,
  type ReservedLine,
  type ReserveStockResult,
  type StockLine,
} from '@supergraph/contracts';
import { callService } from '@supergraph/subgraph-kit';

/** The orders subgraph's only way to touch stock: the catalog's internal mutations. */
export interface CatalogClient {
  reserve(orderId: string, lines: StockLine[]): Promise<ReservedLine[]>;
  release(orderId: string, lines: StockLine[]): Promise<void>;
}

/** Audience the catalog expects on the orders service's credentials (not the gateway's 'catalog'). */
const CATALOG_INTERNAL_AUDIENCE = 'catalog-internal';

export function createCatalogClient(catalogUrl: string, signer: CredentialSigner): CatalogClient {
  // Signed with the orders service's own key: no user token and no gateway key can stand in for it.
  const headers = async () => ({ [SERVICE_CREDENTIAL_HEADER]: await signer.credentialFor(CATALOG_INTERNAL_AUDIENCE) });
  return {
    async reserve(orderId, lines) {
      const data = await callService<ReserveStockResult>(
        catalogUrl,
        RESERVE_STOCK_MUTATION,
        { orderId, lines },
        { headers: await headers() },
      );
      return data.reserveStock;
    },
    async release(orderId, lines) {
      await callService(catalogUrl, RELEASE_STOCK_MUTATION, { orderId, lines }, { headers: await headers() });
    },
  };
}
