import { Types } from 'mongoose';
import { EntityCache, ListingCache, type CacheDeps, type Codec } from '@supergraph/caching';
import { channels, type EventBus } from '@supergraph/subgraph-kit';
import type { ProductDoc } from './model.js';

/** A page of `products(…)` as read from the database: one row more than asked for tells whether more follow. */
export interface ProductPage {
  rows: ProductDoc[];
  totalCount: number;
}

/** JSON turns ObjectIds and dates into strings; reading back makes them what the resolvers get from mongoose. */
function reviveProduct(raw: ProductDoc): ProductDoc {
  return {
    ...raw,
    _id: new Types.ObjectId(String(raw._id)),
    createdAt: new Date(raw.createdAt),
    updatedAt: new Date(raw.updatedAt),
  };
}

const productCodec: Codec<ProductDoc> = {
  encode: (product) => JSON.stringify(product),
  decode: (text) => reviveProduct(JSON.parse(text) as ProductDoc),
};

const pageCodec: Codec<ProductPage> = {
  encode: (page) => JSON.stringify(page),
  decode: (text) => {
    const page = JSON.parse(text) as ProductPage;
    return { rows: page.rows.map(reviveProduct), totalCount: page.totalCount };
  },
};

/**
 * The catalog's shared caches: products by id and product listings (pages of `products`, by
 * category, search and position). Only public catalogue data is cached, never anything per user.
 */
export class CatalogCache {
  readonly products: EntityCache<ProductDoc>;
  readonly listings: ListingCache<ProductPage>;

  constructor(deps: CacheDeps) {
    this.products = new EntityCache('product', deps, productCodec);
    this.listings = new ListingCache('product_listing', deps, pageCodec);
  }

  get all() {
    return [this.products, this.listings];
  }

  /**
   * After a write to products and before it is answered (read-your-writes): drops them on every
   * instance, and every listing, since stock, price, name or category may show on any page.
   */
  async productsChanged(ids: string[]): Promise<void> {
    await Promise.all([this.products.invalidate(ids), this.listings.invalidateAll()]);
  }
}

/**
 * The event bus as the catalog's writes use it: a product event says the product changed, so
 * publishing one first drops the product from the cache. Every product write publishes (updates,
 * restocks, stock taken, returned or released by orders), so none can be missed by forgetting a
 * call; a create publishes nothing and calls `productsChanged` itself.
 */
export function invalidatingOnPublish(events: EventBus, cache: CatalogCache): EventBus {
  return {
    async publish(channel, payload, subject) {
      const id = channels.productOf(channel);
      if (id) await cache.productsChanged([id]);
      await events.publish(channel, payload, subject);
    },
    subscribe: <T>(channel: string) => events.subscribe<T>(channel),
    healthy: () => events.healthy(),
    stats: () => events.stats(),
    dispose: () => events.dispose(),
  };
}
