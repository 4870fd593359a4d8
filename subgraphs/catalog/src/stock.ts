import { appError, ErrorCode, notFound, type Logger } from '@supergraph/runtime';
import { channels, parseObjectId, type EventBus } from '@supergraph/subgraph-kit';
import type { ReservedLine, StockLine } from '@supergraph/contracts';
import type { ProductDoc, ProductModel } from './model.js';

/** The event published after every product write: the product as stored, so subscribers need no read. */
export function productUpdatedPayload(product: ProductDoc): ProductDoc {
  return product;
}

/**
 * Takes stock for every line or for none. Each line is one conditional
 * `findOneAndUpdate` (stock >= quantity, then $inc by -quantity), which MongoDB
 * applies atomically per document, so two buyers can never both take the last
 * unit. If a later line fails, the lines already taken are given back.
 * (Without multi-document transactions a crash between those steps could leave
 * stock held; the log line names what to return.)
 */
export async function reserveStock(
  products: ProductModel,
  events: EventBus,
  logger: Logger,
  orderId: string,
  lines: StockLine[],
): Promise<ReservedLine[]> {
  const reserved: { line: ReservedLine; product: ProductDoc }[] = [];
  try {
    for (const line of lines) {
      const id = parseObjectId(line.productId, 'productId');
      const product = await products
        .findOneAndUpdate({ _id: id, stock: { $gte: line.quantity } }, { $inc: { stock: -line.quantity } }, { new: true })
        .lean<ProductDoc>();
      if (!product) {
        const existing = await products.findById(id, { stock: 1, name: 1 }).lean<ProductDoc>();
        if (!existing) throw notFound('Product', line.productId);
        throw appError(ErrorCode.OutOfStock, `Only ${existing.stock} unit(s) of "${existing.name}" left; you asked for ${line.quantity}`, {
          productId: line.productId,
          available: existing.stock,
        });
      }
      reserved.push({ line: { ...line, unitPricePaise: product.pricePaise }, product });
    }
  } catch (error) {
    try {
      await releaseStock(
        products,
        events,
        logger,
        orderId,
        reserved.map((r) => r.line),
      );
    } catch {
      // Already logged line by line; the client needs the reason the reservation failed.
    }
    throw error;
  }
  for (const { product } of reserved) await events.publish(channels.productUpdated(String(product._id)), productUpdatedPayload(product));
  return reserved.map((r) => r.line);
}

/** Gives units back; used on cancellation and when an order cannot be completed. Tries every line even if one fails. */
export async function releaseStock(
  products: ProductModel,
  events: EventBus,
  logger: Logger,
  orderId: string,
  lines: StockLine[],
): Promise<void> {
  let failures = 0;
  for (const line of lines) {
    try {
      const product = await products
        .findOneAndUpdate({ _id: parseObjectId(line.productId, 'productId') }, { $inc: { stock: line.quantity } }, { new: true })
        .lean<ProductDoc>();
      if (product) await events.publish(channels.productUpdated(String(product._id)), productUpdatedPayload(product));
    } catch (error) {
      failures++;
      // Logged with everything needed to return the stock by hand.
      logger.error('stock release failed', { orderId, productId: line.productId, quantity: line.quantity, error });
    }
  }
  if (failures > 0) throw new Error(`could not return stock for ${failures} of ${lines.length} line(s) of order ${orderId}`);
}
