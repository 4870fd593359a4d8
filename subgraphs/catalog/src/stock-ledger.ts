import type { Types } from 'mongoose';
import type { ProductDoc, ProductModel } from './model.js';

/**
 * The per-product half of idempotent reservations. Taking or returning a line's units and
 * noting that it was done are one single-document update: the product's `ledger` gets a marker
 * (`<orderId>:take` or `<orderId>:return`) in the same update that changes its stock, and the
 * update only applies while the marker is absent (or, to undo a take, present). So a retry after
 * a crash or a lost reply can never take or give back the same order's line twice, and no
 * multi-document transaction is needed. (With MongoDB transactions the reservation record and
 * the stock could change together instead; one code path is kept so FerretDB and MongoDB agree.)
 * Markers live only while the reservation is in flux; settling removes them (reservations.ts).
 */

export interface LedgerLine {
  productId: Types.ObjectId;
  quantity: number;
}

const takeMark = (orderId: string) => `${orderId}:take`;
const returnMark = (orderId: string) => `${orderId}:return`;

export type TakeOutcome =
  | { kind: 'taken'; product: ProductDoc }
  | { kind: 'already'; product: ProductDoc }
  | { kind: 'short'; product: ProductDoc }
  | { kind: 'missing' };

/** Takes a line's units for an order unless this order already took them. */
export async function takeLine(products: ProductModel, orderId: string, line: LedgerLine): Promise<TakeOutcome> {
  const mark = takeMark(orderId);
  const taken = await products
    .findOneAndUpdate(
      { _id: line.productId, stock: { $gte: line.quantity }, ledger: { $ne: mark } },
      { $inc: { stock: -line.quantity }, $push: { ledger: mark } },
      { new: true },
    )
    .lean<ProductDoc>();
  if (taken) return { kind: 'taken', product: taken };
  const already = await products
    .findOne({ _id: line.productId, ledger: mark }, { pricePaise: 1, stock: 1, name: 1, gstRatePercent: 1 })
    .lean<ProductDoc>();
  if (already) return { kind: 'already', product: already };
  const product = await products.findById(line.productId, { pricePaise: 1, stock: 1, name: 1, gstRatePercent: 1 }).lean<ProductDoc>();
  return product ? { kind: 'short', product } : { kind: 'missing' };
}

/** Gives back a line this order took and has not given back yet; null when there is nothing to give back. */
export async function undoTake(products: ProductModel, orderId: string, line: LedgerLine): Promise<ProductDoc | null> {
  const mark = takeMark(orderId);
  return products
    .findOneAndUpdate({ _id: line.productId, ledger: mark }, { $inc: { stock: line.quantity }, $pull: { ledger: mark } }, { new: true })
    .lean<ProductDoc>();
}

/** Gives back a sold line (a cancelled order's) unless this order's line was given back already. */
export async function returnLine(products: ProductModel, orderId: string, line: LedgerLine): Promise<ProductDoc | null> {
  const mark = returnMark(orderId);
  return products
    .findOneAndUpdate(
      { _id: line.productId, ledger: { $ne: mark } },
      { $inc: { stock: line.quantity }, $push: { ledger: mark } },
      { new: true },
    )
    .lean<ProductDoc>();
}

/**
 * Removes this order's markers from a product, changing no stock: once the reservation's record says
 * enough on its own. `$pullAll` rather than `$pull` with `$in`, which the local FerretDB silently ignores.
 */
export async function forgetMarkers(products: ProductModel, orderId: string, line: LedgerLine): Promise<void> {
  await products.updateOne({ _id: line.productId }, { $pullAll: { ledger: [takeMark(orderId), returnMark(orderId)] } });
}
