import type DataLoader from 'dataloader';
import { type Logger } from '@supergraph/runtime';
import { type AccessTokenVerifier, type AuthState } from '@supergraph/auth';
import { createByIdLoader, type CallerInfo, type EventBus } from '@supergraph/subgraph-kit';
import { WORKER_SERVICE } from '@supergraph/contracts';
import type { InvoiceFiles } from './invoice-files.js';
import type { DocumentNumbers } from './invoice-numbers.js';
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
  /** Invoice and credit note numbers, and their stored PDFs. */
  numbers: DocumentNumbers;
  files: InvoiceFiles;
}

export interface OrdersContext extends OrdersServices {
  auth: AuthState;
  /** The worker, for the internal invoice operations (identified by its own credential); null for the gateway. */
  internalCaller: string | null;
  loaders: {
    orderById: DataLoader<string, OrderDoc>;
    ordersByUser: DataLoader<OrdersPageKey, OrdersPage, string>;
  };
}

/** Builds the per-request context: the caller's identity and fresh DataLoaders. */
export async function createContext(
  services: OrdersServices,
  authorization: string | undefined,
  caller: CallerInfo = { ip: undefined, service: 'gateway' },
): Promise<OrdersContext> {
  return {
    ...services,
    auth: await services.tokens.authenticate(authorization),
    internalCaller: caller.service === WORKER_SERVICE ? WORKER_SERVICE : null,
    loaders: {
      // Orders still reserving stock (or whose placement failed) are not orders as far as clients can tell.
      orderById: createByIdLoader<OrderDoc>(services.orders, ORDER_FIELDS, 'Order', VISIBLE_ORDERS),
      ordersByUser: createOrdersByUserLoader(services.orders),
    },
  };
}
