import type { Redis } from 'ioredis';
import type { Types } from 'mongoose';
import { createRateLimit } from '@supergraph/rate-limits';
import { readWholeNumber, type Env, type Logger } from '@supergraph/runtime';

/**
 * How many units one customer may order in a day, so one account cannot take a sale's whole stock
 * in a few large orders (the open-order cap counts orders, not units: an order may hold 50 lines of
 * up to 1,000 units each). Counted in Redis across orders instances (in memory per instance while
 * Redis is away); units of a failed placement or a cancelled order are given back.
 *
 * A day-long budget rather than a count of units held open: it needs no second ledger kept in step
 * with every state change, and a customer buying for a household stays far below it.
 */
export const DEFAULT_MAX_UNITS_PER_CUSTOMER_PER_DAY = 200;

export function readMaxUnitsPerDay(env: Env): number {
  return readWholeNumber(env, 'ORDERS_MAX_UNITS_PER_CUSTOMER_PER_DAY', DEFAULT_MAX_UNITS_PER_CUSTOMER_PER_DAY, 1, 1_000_000);
}

export interface UnitBudget {
  /** Takes `units` for the customer; throws RATE_LIMITED (429 with Retry-After at the gateway) when they exceed what is left. */
  take(userId: Types.ObjectId, units: number): Promise<void>;
  /** Gives units back. Never throws: a failure costs the customer budget, never stock, and is logged. */
  giveBack(userId: Types.ObjectId, units: number): Promise<void>;
}

export function createUnitBudget(max: number, store: { redis: Redis | null; prefix: string }, logger: Logger): UnitBudget {
  const limit = createRateLimit({ name: 'units-per-customer-per-day', points: max, durationSeconds: 24 * 3600 }, store);
  return {
    async take(userId, units) {
      try {
        await limit.consume(String(userId), `An account may order at most ${max} units a day; this order would go past that`, units);
      } catch (error) {
        // A refused take still counted its units; nothing was ordered, so they go back (a smaller order may still fit).
        await limit.giveBack(String(userId), units).catch(() => {});
        throw error;
      }
    },
    async giveBack(userId, units) {
      try {
        await limit.giveBack(String(userId), units);
      } catch (error) {
        logger.warn('could not give units back to a customer budget', { userId: String(userId), units, error });
      }
    },
  };
}
