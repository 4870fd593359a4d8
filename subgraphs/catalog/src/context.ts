import type DataLoader from 'dataloader';
import { type Logger } from '@supergraph/runtime';
import { type AuthState, type TokenService } from '@supergraph/auth';
import { createByIdLoader, type EventBus } from '@supergraph/subgraph-kit';
import { PRODUCT_FIELDS, type ProductDoc, type ProductModel } from './model.js';

export interface CatalogServices {
  products: ProductModel;
  tokens: TokenService;
  events: EventBus;
  logger: Logger;
}

export interface CatalogContext extends CatalogServices {
  auth: AuthState;
  /** The calling service when the request carries an internal service token. */
  internalCaller: string | null;
  loaders: { productById: DataLoader<string, ProductDoc> };
}

/** Builds the per-request context: the caller's identity and fresh DataLoaders. */
export async function createContext(services: CatalogServices, authorization: string | undefined): Promise<CatalogContext> {
  const [auth, internalCaller] = await Promise.all([
    services.tokens.authenticate(authorization),
    services.tokens.verifyInternal(authorization),
  ]);
  return {
    ...services,
    auth,
    internalCaller,
    loaders: { productById: createByIdLoader<ProductDoc>(services.products, PRODUCT_FIELDS, 'Product') },
  };
}
