import { ErrorCode } from '@supergraph/runtime';
import { requireAdmin, requireSelfOrAdmin, requireViewer } from '@supergraph/auth';
import { channels, DateTimeScalar, parseObjectId, parsePageArgs, type PageArgs } from '@supergraph/subgraph-kit';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import type { OrdersContext } from './context.js';
import type { OrderDoc, OrderLine, PublicStatus } from './model.js';
import { cancelOrder, updateOrderStatus } from './order-status.js';
import { placeOrder, type PlaceOrderInput } from './place-order.js';
import { decodeOrderCursor } from './user-orders.js';

export const resolvers: GraphQLResolverMap<OrdersContext> = {
  DateTime: DateTimeScalar,

  Query: {
    order: async (_parent, args: { id: string }, ctx) => {
      requireViewer(ctx.auth);
      const id = parseObjectId(args.id);
      const order = await ctx.loaders.orderById.load(String(id)).catch((error) => {
        if (error?.extensions?.code === ErrorCode.NotFound) return null;
        throw error;
      });
      if (order) requireSelfOrAdmin(ctx.auth, String(order.userId), 'orders');
      return order;
    },
  },

  Mutation: {
    placeOrder: (_parent, args: { input: PlaceOrderInput }, ctx) => placeOrder(ctx, requireViewer(ctx.auth), args.input),

    updateOrderStatus: (_parent, args: { id: string; status: PublicStatus }, ctx) => {
      requireAdmin(ctx.auth);
      return updateOrderStatus(ctx, args.id, args.status);
    },

    cancelOrder: (_parent, args: { id: string }, ctx) => cancelOrder(ctx, ctx.auth, args.id),
  },

  Subscription: {
    orderStatusChanged: {
      subscribe: async (_parent: unknown, args: { id: string }, ctx: OrdersContext) => {
        requireViewer(ctx.auth);
        const order = await ctx.loaders.orderById.load(String(parseObjectId(args.id)));
        requireSelfOrAdmin(ctx.auth, String(order.userId), 'orders');
        return ctx.events.subscribe(channels.orderStatusChanged(String(order._id)));
      },
      resolve: (payload: OrderDoc) => payload,
    },
    orderPlaced: {
      subscribe: (_parent: unknown, _args: unknown, ctx: OrdersContext) => {
        requireAdmin(ctx.auth);
        return ctx.events.subscribe(channels.orderPlaced());
      },
      resolve: (payload: OrderDoc) => payload,
    },
  },

  User: {
    // This subgraph stores no users: a reference is all it needs to find their orders.
    __resolveReference: (reference: { id: string }) => ({ id: reference.id }),
    orders: (user: { id: string }, args: PageArgs, ctx: OrdersContext) => {
      requireSelfOrAdmin(ctx.auth, user.id, 'orders');
      // Reject a bad `first` or `after` here, naming the argument.
      parsePageArgs({ first: args.first });
      if (args.after) decodeOrderCursor(args.after);
      return ctx.loaders.ordersByUser.load({ userId: String(parseObjectId(user.id)), first: args.first, after: args.after });
    },
  },

  Order: {
    __resolveReference: async (reference: { id: string }, ctx: OrdersContext) => {
      const order = await ctx.loaders.orderById.load(reference.id);
      requireSelfOrAdmin(ctx.auth, String(order.userId), 'orders');
      return order;
    },
    id: (order: OrderDoc) => String(order._id),
    user: (order: OrderDoc) => ({ id: String(order.userId) }),
  },

  OrderItem: {
    product: (line: OrderLine) => ({ id: String(line.productId) }),
  },
};
