import { appError, conflict, ErrorCode, notFound, badInput } from '@supergraph/runtime';
import { requireAdmin } from '@supergraph/auth';
import {
  channels,
  DateTimeScalar,
  isDuplicateKeyError,
  loadOrNull,
  parseObjectId,
  parsePageArgs,
  toConnection,
} from '@supergraph/subgraph-kit';
import type { CatalogContext } from './context.js';
import { DEFAULT_GST_RATE_PERCENT } from '@supergraph/contracts';
import type { Resolvers } from './generated/resolvers-types.js';
import { PRODUCT_FIELDS, type ProductDoc } from './model.js';
import type { ProductPage } from './product-cache.js';
import { ORDER_LIMITS, type StockLine } from '@supergraph/contracts';
import { productUpdatedPayload } from './stock.js';
import { formatRupees, literalPattern, MAX_RESTOCK, validateCreate, validateQuantity, validateUpdate } from './validation.js';

function requireInternal(ctx: CatalogContext): void {
  if (!ctx.internalCaller) throw appError(ErrorCode.Forbidden, 'This operation is internal to the supergraph');
}

function validateLines(lines: StockLine[]): StockLine[] {
  if (lines.length === 0 || lines.length > ORDER_LIMITS.maxLines) throw badInput('lines', `must have 1 to ${ORDER_LIMITS.maxLines} lines`);
  const seen = new Set<string>();
  for (const line of lines) {
    const id = String(parseObjectId(line.productId, 'productId'));
    validateQuantity('quantity', line.quantity, ORDER_LIMITS.maxQuantityPerLine);
    // One line per product: the reservation markers are per order and product.
    if (seen.has(id)) throw badInput('lines', `product ${id} appears in more than one line; merge them into one`);
    seen.add(id);
  }
  return lines;
}

/** Order ids are the orders subgraph's ObjectIds; anything else is a caller's mistake. */
function validateOrderId(orderId: string): string {
  return String(parseObjectId(orderId, 'orderId'));
}

async function publishChange(ctx: CatalogContext, product: ProductDoc): Promise<void> {
  await ctx.events.publish(channels.productUpdated(String(product._id)), productUpdatedPayload(product));
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    product: (_parent, args, ctx) => {
      const id = parseObjectId(args.id);
      return loadOrNull(ctx.loaders.productById, String(id));
    },

    products: async (_parent, args, ctx) => {
      const page = parsePageArgs(args);
      const filter: Record<string, unknown> = {};
      if (args.category !== undefined && args.category !== null) filter.category = args.category.trim();
      if (args.search !== undefined && args.search !== null && args.search.trim() !== '') {
        if (args.search.length > 100) throw badInput('search', 'must be at most 100 characters');
        filter.name = { $regex: literalPattern(args.search.trim()), $options: 'i' };
      }
      const pageFilter = page.afterId ? { ...filter, _id: { $gt: page.afterId } } : filter;
      const read = async (): Promise<ProductPage> => {
        const [rows, totalCount] = await Promise.all([
          ctx.products
            .find(pageFilter, PRODUCT_FIELDS)
            .sort({ _id: 1 })
            .limit(page.first + 1)
            .lean<ProductDoc[]>(),
          ctx.products.countDocuments(filter),
        ]);
        return { rows, totalCount };
      };
      // Keyed by what selects the page; the listing is public, the same for every caller.
      const { rows, totalCount } = ctx.cache ? await ctx.cache.listings.get({ filter: pageFilter, first: page.first }, read) : await read();
      for (const row of rows) ctx.loaders.productById.prime(String(row._id), row);
      return toConnection(rows, page.first, totalCount);
    },
  },

  Mutation: {
    createProduct: async (_parent, args, ctx) => {
      requireAdmin(ctx.auth);
      const input = validateCreate(args.input);
      try {
        const product = await ctx.products.create(input);
        // A create publishes no event: drop a remembered "no such id" and the listings it joins here.
        await ctx.cache?.productsChanged([String(product._id)]);
        return product.toObject();
      } catch (error) {
        if (isDuplicateKeyError(error)) throw conflict(`sku: a product with SKU ${input.sku} already exists`);
        throw error;
      }
    },

    updateProduct: async (_parent, args, ctx) => {
      requireAdmin(ctx.auth);
      const id = parseObjectId(args.id);
      const changes = validateUpdate(args.input);
      const product = await ctx.products.findOneAndUpdate({ _id: id }, { $set: changes }, { new: true }).lean<ProductDoc>();
      if (!product) throw notFound('Product', args.id);
      await publishChange(ctx, product);
      return product;
    },

    restock: async (_parent, args, ctx) => {
      requireAdmin(ctx.auth);
      const id = parseObjectId(args.id);
      const quantity = validateQuantity('quantity', args.quantity, MAX_RESTOCK);
      const product = await ctx.products.findOneAndUpdate({ _id: id }, { $inc: { stock: quantity } }, { new: true }).lean<ProductDoc>();
      if (!product) throw notFound('Product', args.id);
      await publishChange(ctx, product);
      return product;
    },

    reserveStock: (_parent, args, ctx) => {
      requireInternal(ctx);
      return ctx.reservations.reserve(validateOrderId(args.orderId), validateLines(args.lines));
    },

    releaseStock: async (_parent, args, ctx) => {
      requireInternal(ctx);
      await ctx.reservations.release(validateOrderId(args.orderId));
      return true;
    },

    commitStock: async (_parent, args, ctx) => {
      requireInternal(ctx);
      await ctx.reservations.commit(validateOrderId(args.orderId));
      return true;
    },
  },

  Subscription: {
    productUpdated: {
      subscribe: async (_parent, args, ctx) => {
        // Watching a product that does not exist is a mistake worth reporting, not a silent stream.
        const product = await ctx.loaders.productById.load(String(parseObjectId(args.id)));
        return ctx.events.subscribe(channels.productUpdated(String(product._id)));
      },
      resolve: (payload: ProductDoc) => payload,
    },
  },

  Product: {
    __resolveReference: (reference, ctx) => ctx.loaders.productById.load(reference.id),
    id: (product) => String(product._id),
    formattedPrice: (product) => formatRupees(product.pricePaise),
    gstRatePercent: (product) => product.gstRatePercent ?? DEFAULT_GST_RATE_PERCENT,
  },
};
