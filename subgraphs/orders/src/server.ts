import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/index.js';
import { CredentialSigner, readPrivateKey, readPublicKeys, type PrivateKeyJwk, type TrustedCaller } from '@supergraph/auth';
import { ORDERS_INTERNAL_AUDIENCE, WORKER_SERVICE } from '@supergraph/contracts';
import { createJobQueues, readJobsConfig, type JobsConfig } from '@supergraph/jobs';
import { createRedisClient, FAIL_FAST_REDIS_OPTIONS, readUrl, readWholeNumber } from '@supergraph/runtime';
import { loadSubgraphConfig, startSubgraph, type RunningSubgraph, type StartOptions, type SubgraphConfig } from '@supergraph/subgraph-kit';
import { createCatalogClient, type CatalogCallPolicy } from './catalog-client.js';
import { createContext, type OrdersContext } from './context.js';
import { createInvoiceFiles } from './invoice-files.js';
import { createDocumentNumbers, readInvoicePrefix } from './invoice-numbers.js';
import { registerOrderModel } from './model.js';
import { invoiceJobHook } from './invoice-jobs.js';
import { orderNoticeHook } from './order-notices.js';
import { createOrderSlots, readMaxPlacedPerCustomer, registerSlotLedgerModel } from './order-slots.js';
import { PendingSweeper, readSweeperConfig, type SweeperConfig } from './pending-sweeper.js';
import { resolvers } from './resolvers.js';
import { createUnitBudget, readMaxUnitsPerDay } from './unit-budget.js';

export { createContext } from './context.js';

export const ORDERS_DEFAULT_PORT = 4003;

export interface OrdersConfig extends SubgraphConfig {
  /** The catalog subgraph's GraphQL endpoint, for reserving and returning stock. */
  catalogUrl: string;
  /** The orders service's own signing key (ORDERS_SERVICE_SIGNING_KEY), for the catalog's internal mutations. */
  serviceKey: PrivateKeyJwk;
  /** The most orders one customer may have placed and not yet shipped or cancelled (ORDERS_MAX_PLACED_PER_CUSTOMER). */
  maxPlacedPerCustomer: number;
  /** The most units one customer may order in a day (ORDERS_MAX_UNITS_PER_CUSTOMER_PER_DAY). */
  maxUnitsPerDay: number;
  /** Timeout and retries for calls to the catalog's stock mutations. */
  catalogCalls: CatalogCallPolicy;
  /** When a PENDING order counts as abandoned, and how often to look. */
  sweeper: SweeperConfig;
  /** Series prefix of invoice and credit note numbers (INVOICE_PREFIX), e.g. BM in BM/2026-27/000001. */
  invoicePrefix: string;
  /** How the jobs this service enqueues (order notices, invoices) are retried and kept (JOBS_* variables). */
  jobs: JobsConfig;
}

export function loadOrdersConfig(env: Record<string, string | undefined> = process.env): OrdersConfig {
  const base = loadSubgraphConfig(env, ORDERS_DEFAULT_PORT);
  return {
    ...base,
    catalogUrl: readUrl(env, 'CATALOG_URL', 'http://localhost:4002/graphql', ['http:', 'https:']),
    serviceKey: readPrivateKey(env, 'ORDERS_SERVICE_SIGNING_KEY'),
    maxPlacedPerCustomer: readMaxPlacedPerCustomer(env),
    maxUnitsPerDay: readMaxUnitsPerDay(env),
    catalogCalls: {
      timeoutMs: readWholeNumber(env, 'ORDERS_CATALOG_TIMEOUT_MS', 2_000, 50, 60_000),
      attempts: readWholeNumber(env, 'ORDERS_CATALOG_ATTEMPTS', 3, 1, 10),
    },
    sweeper: readSweeperConfig(env),
    invoicePrefix: readInvoicePrefix(env),
    serviceCallers: readWorkerCaller(env, base.nodeEnv === 'production'),
    jobs: readJobsConfig(env),
  };
}

/**
 * The worker calls the internal invoice operations with its own key (WORKER_SERVICE_PUBLIC_KEYS):
 * required in production, where invoices must be issued; elsewhere a stack without a worker may leave it out.
 */
function readWorkerCaller(env: Record<string, string | undefined>, production: boolean): TrustedCaller[] {
  const keys = readPublicKeys(env, 'WORKER_SERVICE_PUBLIC_KEYS', { optional: !production });
  return keys.length > 0 ? [{ issuer: WORKER_SERVICE, audience: ORDERS_INTERNAL_AUDIENCE, keys }] : [];
}

/** Starts the orders subgraph; port 0 picks a free port. No side effects on import. */
export function start(config: OrdersConfig, options: StartOptions = {}): Promise<RunningSubgraph> {
  return startSubgraph<OrdersContext>(
    {
      name: 'orders',
      schemaUrl: new URL('../schema.graphql', import.meta.url),
      // The resolvers are typed by the generated `Resolvers` (typed parents, arguments and results);
      // @apollo/subgraph's GraphQLResolverMap is looser but declares every resolver as
      // (parent, args, context, info), while __resolveReference really is (reference, context, info),
      // so TypeScript will not take one for the other. At run time it is the same plain resolver map.
      resolvers: resolvers as GraphQLResolverMap<OrdersContext>,
      // Status changes become notice and invoice jobs as their events leave the outbox (see the hooks).
      relayHooks: (logger) => {
        const jobs = createJobQueues({
          redisUrl: config.redisUrl,
          redisPrefix: config.redisPrefix,
          logger,
          config: config.jobs,
          name: 'orders',
        });
        return { hooks: [orderNoticeHook(jobs), invoiceJobHook(jobs)], close: () => jobs.close() };
      },
      async setup({ connection, tokens, events, logger }) {
        const orders = registerOrderModel(connection);
        await orders.syncIndexes();
        const slots = createOrderSlots(registerSlotLedgerModel(connection), orders, config.maxPlacedPerCustomer, logger);
        const catalog = createCatalogClient(config.catalogUrl, new CredentialSigner('orders', config.serviceKey), config.catalogCalls);
        // Its own client without an offline queue: while Redis is away the budget falls back to memory at once.
        const budgetRedis = createRedisClient(config.redisUrl, logger, 'orders-budgets', { ...FAIL_FAST_REDIS_OPTIONS });
        const units = createUnitBudget(config.maxUnitsPerDay, { redis: budgetRedis, prefix: config.redisPrefix }, logger);
        const numbers = createDocumentNumbers(connection, config.invoicePrefix);
        await numbers.syncIndexes();
        const files = createInvoiceFiles(connection);
        const services = { orders, slots, units, catalog, tokens, events, logger, numbers, files };
        const sweeping = new PendingSweeper(services, config.sweeper).start();
        return {
          createContext: (authorization, caller) => createContext(services, authorization, caller),
          onStop: async () => {
            await sweeping.stop();
            budgetRedis.disconnect();
          },
        };
      },
    },
    config,
    options,
  );
}
