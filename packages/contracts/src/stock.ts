/**
 * The contract between the orders subgraph (the caller) and the catalog subgraph (the owner of
 * stock): the shapes both sides exchange, the limits both enforce, and the internal operations
 * the catalog serves for it. Changing anything here changes both sides at once.
 */

/** One order line to reserve or release: a product and a number of units. */
export interface StockLine {
  productId: string;
  quantity: number;
}

/**
 * A reserved line, with what the product was at the moment it was reserved: its price, and the
 * name and GST rate the order keeps for its invoice (a later rename or rate change does not alter
 * what was sold).
 */
export interface ReservedLine extends StockLine {
  unitPricePaise: number;
  name: string;
  gstRatePercent: number;
}

/** Limits on one order, checked by orders when a client places it and again by the catalog when it reserves. */
export const ORDER_LIMITS = {
  /** Most distinct products in one order. */
  maxLines: 50,
  /** Most units of one product in one order. */
  maxQuantityPerLine: 1_000,
} as const;

/** The catalog's internal mutation that takes stock for every line or for none, once per order id. */
export const RESERVE_STOCK_MUTATION = `mutation ReserveStock($orderId: ID!, $lines: [StockLineInput!]!) {
  reserveStock(orderId: $orderId, lines: $lines) { productId quantity unitPricePaise name gstRatePercent }
}`;

/** The catalog's internal mutation that gives back whatever an order's reservation holds (idempotent). */
export const RELEASE_STOCK_MUTATION = `mutation ReleaseStock($orderId: ID!) {
  releaseStock(orderId: $orderId)
}`;

/** The catalog's internal mutation that marks a placed order's reserved units as sold. */
export const COMMIT_STOCK_MUTATION = `mutation CommitStock($orderId: ID!) {
  commitStock(orderId: $orderId)
}`;

export interface ReserveStockResult {
  reserveStock: ReservedLine[];
}
