import type { TokenService } from '@supergraph/auth';
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

export function createCatalogClient(catalogUrl: string, tokens: TokenService): CatalogClient {
  const authorization = async () => `Bearer ${await tokens.issueInternal('orders')}`;
  return {
    async reserve(orderId, lines) {
      const data = await callService<ReserveStockResult>(
        catalogUrl,
        RESERVE_STOCK_MUTATION,
        { orderId, lines },
        {
          authorization: await authorization(),
        },
      );
      return data.reserveStock;
    },
    async release(orderId, lines) {
      await callService(catalogUrl, RELEASE_STOCK_MUTATION, { orderId, lines }, { authorization: await authorization() });
    },
  };
}
