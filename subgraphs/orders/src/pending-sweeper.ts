import { runPeriodically, type PeriodicJob } from '@supergraph/subgraph-kit';
import { ErrorCode, errorCodeOf, readWholeNumber } from '@supergraph/runtime';
import type { OrdersServices } from './context.js';
import type { OrderDoc } from './model.js';
import { UNDO_LEASE_MS, undoPlacement } from './order-lifecycle.js';
import { finishStockReturn } from './order-status.js';

export interface SweeperConfig {
  /** An order still PENDING this long after it was written is failed and its stock released (ORDER_PENDING_TIMEOUT_MS). */
  pendingTimeoutMs: number;
  /** How often each instance looks (ORDER_SWEEP_INTERVAL_MS). */
  intervalMs: number;
}

type Env = Record<string, string | undefined>;

/** Orders one sweeper finishes at the same time. */
const SWEEP_CONCURRENCY = 4;

export function readSweeperConfig(env: Env): SweeperConfig {
  return {
    pendingTimeoutMs: readWholeNumber(env, 'ORDER_PENDING_TIMEOUT_MS', 60_000, 1_000, 86_400_000),
    intervalMs: readWholeNumber(env, 'ORDER_SWEEP_INTERVAL_MS', 10_000, 100, 3_600_000),
  };
}

/**
 * Finishes what crashes and lost replies leave half done: an order still PENDING after the
 * timeout (its placing request died or gave up), or FAILING after its claim ran out (a sweeper
 * died), has its reservation released through the catalog's idempotent release and is marked
 * FAILED; a cancelled order still owing stock back has it returned; a placed order whose stock
 * commit failed is committed. Every step is safe to repeat,
 * and a claim by conditional update (PENDING → FAILING, with a lease) keeps instances from
 * working on the same order at once and keeps a late placing request from marking it PLACED.
 */
export class PendingSweeper {
  constructor(
    private readonly services: OrdersServices,
    private readonly config: SweeperConfig,
  ) {}

  start(): PeriodicJob {
    return runPeriodically('pending-order sweep', this.config.intervalMs, () => this.sweep(), this.services.logger);
  }

  /** One round; returns how many orders it finished. */
  async sweep(limit = 50): Promise<number> {
    const now = Date.now();
    const stale = new Date(now - this.config.pendingTimeoutMs);
    const due = await this.services.orders
      .find(
        {
          $or: [
            { status: 'PENDING', createdAt: { $lt: stale } },
            { status: 'FAILING', sweepLeaseUntil: { $lt: new Date(now) } },
            { status: 'CANCELLED', stockReturn: { $in: ['DUE', 'RETURNING'] }, updatedAt: { $lt: stale } },
            { stockCommitDue: true },
          ],
        },
        { _id: 1, status: 1, stockCommitDue: 1 },
      )
      .limit(limit)
      .lean<Pick<OrderDoc, '_id' | 'status' | 'stockCommitDue'>[]>();
    let finished = 0;
    const queue = [...due];
    const finishNext = async () => {
      for (let order = queue.shift(); order; order = queue.shift()) {
        try {
          if (order.stockCommitDue) await this.commitSold(order._id);
          else if (order.status === 'CANCELLED') await finishStockReturn(this.services, order._id);
          else if (!(await this.failStale(order._id, now))) continue;
          finished++;
        } catch (error) {
          // Left as it is; the next round tries again.
          this.services.logger.warn('could not finish a stale order yet', { orderId: String(order._id), error });
        }
      }
    };
    // A few at a time: after a crash, every order it cut short is due at once, and each costs a
    // round trip to the catalog; one at a time, the last customer would wait for all the others.
    // Each order is claimed by a conditional update, so working on several at once is safe.
    await Promise.all(Array.from({ length: Math.min(SWEEP_CONCURRENCY, queue.length) }, finishNext));
    return finished;
  }

  /**
   * Tells the catalog a placed order's units are sold, after the placing request could not (so its
   * reservation's markers can be tidied). A CONFLICT means it was released meanwhile (cancelled):
   * nothing is left to commit.
   */
  private async commitSold(orderId: OrderDoc['_id']): Promise<void> {
    try {
      await this.services.catalog.commit(String(orderId));
    } catch (error) {
      if (errorCodeOf(error) !== ErrorCode.Conflict) throw error;
    }
    await this.services.orders.updateOne({ _id: orderId }, { $unset: { stockCommitDue: 1 } });
  }

  private failStale(orderId: OrderDoc['_id'], now: number): Promise<boolean> {
    return undoPlacement(
      this.services,
      orderId,
      {
        $or: [
          { status: 'PENDING', createdAt: { $lt: new Date(now - this.config.pendingTimeoutMs) } },
          { status: 'FAILING', sweepLeaseUntil: { $lt: new Date(now) } },
        ],
      },
      { leaseMs: Math.max(UNDO_LEASE_MS, this.config.pendingTimeoutMs) },
    );
  }
}
