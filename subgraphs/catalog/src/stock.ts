import type { ProductDoc } from './model.js';

/**
 * The event published after every product write: the product as stored, so subscribers need no
 * read, without the reservation markers (internal to the catalog, and naming orders).
 */
export function productUpdatedPayload(product: ProductDoc): ProductDoc {
  const { ledger: _ledger, ...visible } = product;
  return visible;
}
