import { postGraphQL, type TokenService } from '@supergraph/shared';

export interface StockLine {
  productId: string;
  quantity: number;
}

export interface ReservedLine extends StockLine {
  unitPricePaise: number;
}

/** The orders subgraph's only way to touch stock: the catalog's internal mutations. */
export interface CatalogClient {
  reserve(orderId: string, lines: StockLine[]): Promise<ReservedLine[]>;
  release(orderId: string, lines: StockLine[]): Promise<void>;
}

const RESERVE = `mutation Reserve($orderId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { productId quantity unitPricePaise }
}`;
const RELEASE = `mutation Release($orderId: ID!, $lines: [StockLineInput!]!) {
  releaseStock(orderId: $orderId, lines: $lines)
}`;

export function createCatalogClient(catalogUrl: string, tokens: TokenService): CatalogClient {
  const authorization = async () => `Bearer ${await tokens.issueInternal('orders')}`;
  return {
    async reserve(orderId, lines) {
      const data = await postGraphQL<{ reserveStock: ReservedLine[] }>(catalogUrl, RESERVE, { orderId, lines }, {
        authorization: await authorization(),
      });
      return data.reserveStock;
    },
    async release(orderId, lines) {
      await postGraphQL(catalogUrl, RELEASE, { orderId, lines }, { authorization: await authorization() });
    },
  };
}
