import type DataLoader from 'dataloader';
import { type Logger } from '@supergraph/runtime';
import { type AccessTokenVerifier, type AuthState } from '@supergraph/auth';
import { createByIdLoader, type CallerInfo, type EventBus } from '@supergraph/subgraph-kit';
import { PRODUCT_FIELDS, type ProductDoc, type ProductModel } from './model.js';
import type { CatalogCache } from './product-cache.js';
import type { Reservations } from './reservations.js';

export interface CatalogServices {
  products: ProductModel;
  /** Stock reservations per order (the internal stock mutations). */
  reservations: Reservations;
  tokens: AccessTokenVerifier;
  events: EventBus;
  logger: Logger;
  /** Products and listings shared in Redis by every instance; absent in unit tests that need no Redis. */
  cache?: CatalogCache;
}

export interface CatalogContext extends CatalogServices {
  auth: AuthState;
  /** The calling service when it is not the gateway (orders, for the internal stock mutations); null otherwise. */
  internalCaller: string | null;
  loaders: { productById: DataLoader<string, ProductDoc> };
}

/** The one service allowed the internal stock mutations, identified by its own credential (never a user token). */
export const ORDERS_SERVICE = 'orders';

/** Builds the per-request context: the caller's identity and fresh DataLoaders. */
export async function createContext(
  services: CatalogServices,
  authorization: string | undefined,
  caller: CallerInfo = { ip: undefined, service: 'gateway' },
): Promise<CatalogContext> {
  return {
    ...services,
    auth: await services.tokens.authenticate(authorization),
    internalCaller: caller.service === ORDERS_SERVICE ? ORDERS_SERVICE : null,
    loaders: { productById: createByIdLoader<ProductDoc>(services.products, PRODUCT_FIELDS, 'Product', {}, services.cache?.products) },
  };
}
