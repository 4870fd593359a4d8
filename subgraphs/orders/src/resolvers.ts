import { requireAdmin, requireSelfOrAdmin, requireViewer } from '@supergraph/auth';
import { appError, ErrorCode } from '@supergraph/runtime';
import { channels, DateTimeScalar, loadOrNull, parseObjectId, parsePageArgs } from '@supergraph/subgraph-kit';
import type { Resolvers } from './generated/resolvers-types.js';
import type { OrdersContext } from './context.js';
import { attachInvoicePdf, documentView, failInvoice, invoiceFile, prepareInvoice } from './invoices.js';
import type { OrderDoc } from './model.js';
import { cancelOrder, updateOrderStatus } from './order-status.js';
import { placeOrder } from './place-order.js';
import { decodeOrderCursor } from './user-orders.js';

/** The internal invoice operations are the worker's, identified by its own credential: no user token stands in for it. */
function requireWorker(ctx: OrdersContext): void {
  if (!ctx.internalCaller) throw appError(ErrorCode.Forbidden, 'This operation is internal to the supergraph');
}

export const resolvers: Resolvers = {
  DateTime: DateTimeScalar,

  Query: {
    order: async (_parent, args, ctx) => {
      requireViewer(ctx.auth);
      const id = parseObjectId(args.id);
      const order = await loadOrNull(ctx.loaders.orderById, String(id));
      if (order) requireSelfOrAdmin(ctx.auth, String(order.userId), 'orders');
      return order;
    },
    invoiceFile: (_parent, args, ctx) => invoiceFile(ctx, ctx.auth, args.orderId, args.kind),
  },

  Mutation: {
    placeOrder: (_parent, args, ctx) => placeOrder(ctx, requireViewer(ctx.auth), args.input),

    updateOrderStatus: (_parent, args, ctx) => {
      requireAdmin(ctx.auth);
      return updateOrderStatus(ctx, args.id, args.status);
    },

    cancelOrder: (_parent, args, ctx) => cancelOrder(ctx, ctx.auth, args.id),

    prepareInvoice: (_parent, args, ctx) => {
      requireWorker(ctx);
      return prepareInvoice(ctx, args.orderId, args.kind, args.buyer ? { name: args.buyer.name, city: args.buyer.city ?? null } : null);
    },
    attachInvoicePdf: (_parent, args, ctx) => {
      requireWorker(ctx);
      return attachInvoicePdf(ctx, args.orderId, args.kind, args.number, args.pdfBase64);
    },
    failInvoice: (_parent, args, ctx) => {
      requireWorker(ctx);
      return failInvoice(ctx, args.orderId, args.kind);
    },
  },

  Subscription: {
    orderStatusChanged: {
      subscribe: async (_parent, args, ctx) => {
        requireViewer(ctx.auth);
        const order = await ctx.loaders.orderById.load(String(parseObjectId(args.id)));
        requireSelfOrAdmin(ctx.auth, String(order.userId), 'orders');
        return ctx.events.subscribe(channels.orderStatusChanged(String(order._id)));
      },
      resolve: (payload: OrderDoc) => payload,
    },
    orderPlaced: {
      subscribe: (_parent, _args, ctx) => {
        requireAdmin(ctx.auth);
        return ctx.events.subscribe(channels.orderPlaced());
      },
      resolve: (payload: OrderDoc) => payload,
    },
  },

  User: {
    // This subgraph stores no users: a reference is all it needs to find their orders.
    __resolveReference: (reference) => ({ id: reference.id }),
    orders: (user, args, ctx) => {
      requireSelfOrAdmin(ctx.auth, user.id, 'orders');
      // Reject a bad `first` or `after` here, naming the argument.
      parsePageArgs({ first: args.first });
      if (args.after) decodeOrderCursor(args.after);
      return ctx.loaders.ordersByUser.load({ userId: String(parseObjectId(user.id)), first: args.first, after: args.after });
    },
  },

  Order: {
    __resolveReference: async (reference, ctx) => {
      const order = await ctx.loaders.orderById.load(reference.id);
      requireSelfOrAdmin(ctx.auth, String(order.userId), 'orders');
      return order;
    },
    id: (order) => String(order._id),
    user: (order) => ({ id: String(order.userId) }),
    invoice: (order) => documentView(order, 'INVOICE'),
    creditNote: (order) => documentView(order, 'CREDIT_NOTE'),
  },

  OrderItem: {
    product: (line) => ({ id: String(line.productId) }),
  },
};
