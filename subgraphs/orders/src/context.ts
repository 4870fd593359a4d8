import type DataLoader from 'dataloader';
import { type Logger } from '@supergraph/runtime';
import { type AccessTokenVerifier, type AuthState } from '@supergraph/auth';
import { createByIdLoader, type EventBus } from '@supergraph/subgraph-kit';
import type { CatalogClient } from './catalog-client.js';
import { ORDER_FIELDS, VISIBLE_ORDERS, type OrderDoc, type OrderModel } from './model.js';
import type { OrderSlots } from './order-slots.js';
import type { UnitBudget } from './unit-budget.js';
import { createOrdersByUserLoader, type OrdersPageKey, type OrdersPage } from './user-orders.js';

export interface OrdersServices {
  orders: OrderModel;
  /** The cap on each customer's open orders. */
  slots: OrderSlots;
  /** The cap on units each customer orders per day. */
  units: UnitBudget;
  catalog: CatalogClient;
  tokens: AccessTokenVerifier;
  events: EventBus;
  logger: Logger;
}

export interface OrdersContext extends OrdersServices {
  auth: AuthState;
  loaders: {
    orderById: DataLoader<string, OrderDoc>;
    ordersByUser: DataLoader<OrdersPageKey, OrdersPage, string>;
  };
}

/** Builds the per-request context: the caller's identity and fresh DataLoaders. */
export async function createContext(services: OrdersServices, authorization: string | undefined): Promise<OrdersContext> {
  return {
    ...services,
    auth: await services.tokens.authenticate(authorization),
    loaders: {
      // Orders still reserving stock (or whose placement failed) are not orders as far as clients can tell.
      orderById: createByIdLoader<OrderDoc>(services.orders, ORDER_FIELDS, 'Order', VISIBLE_ORDERS),
      ordersByUser: createOrdersByUserLoader(services.orders),
    },
  };
}
