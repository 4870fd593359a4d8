import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError } from 'graphql';
import { appError, conflict, ErrorCode, notFound, type Logger } from '@supergraph/runtime';
import { channels, isDuplicateKeyError, parseObjectId, type EventBus } from '@supergraph/subgraph-kit';
import { DEFAULT_GST_RATE_PERCENT, type ReservedLine, type StockLine } from '@supergraph/contracts';
import type { ProductDoc, ProductModel } from './model.js';
import type { ReservationDoc, ReservationLine, ReservationModel, ReservationState } from './reservation-model.js';
import { forgetMarkers, returnLine, takeLine, undoTake } from './stock-ledger.js';
import { productUpdatedPayload } from './stock.js';

export interface ReservationTimings {
  /** How long one caller may hold a reservation before another may take it over (it crashed or stalled). */
  leaseMs: number;
  /** How long a caller waits for another caller's lease before answering "busy, retry". */
  leaseWaitMs: number;
  /** How long a finished reservation keeps its markers before settling removes them. */
  settleAfterMs: number;
}

export const DEFAULT_RESERVATION_TIMINGS: ReservationTimings = { leaseMs: 5_000, leaseWaitMs: 2_000, settleAfterMs: 60_000 };

interface Lease {
  owner: string;
  record: ReservationDoc;
  /** When this process must stop acting on the lease, by its own clock (a margin before it runs out). */
  actUntil: number;
  /** Set once the lease was given up together with the last change (nothing left to unlock). */
  unlocked?: boolean;
}

const sameLines = (a: { productId: unknown; quantity: number }[], b: { productId: unknown; quantity: number }[]) =>
  a.length === b.length && a.every((line, i) => String(line.productId) === String(b[i].productId) && line.quantity === b[i].quantity);

const priced = (lines: ReservationLine[]): ReservedLine[] =>
  lines.map((line) => ({
    productId: String(line.productId),
    quantity: line.quantity,
    unitPricePaise: line.unitPricePaise,
    // Reservations held before names and rates were recorded answer with what is known of them.
    name: line.name ?? '',
    gstRatePercent: line.gstRatePercent ?? DEFAULT_GST_RATE_PERCENT,
  }));

/**
 * Stock reservations, idempotent per order. Each order has one record (reservation-model.ts);
 * every change to it is made by the one caller holding its lease, and every change to stock is
 * made through the marker-guarded updates of stock-ledger.ts. So:
 * - `reserve(orderId, lines)` takes each line at most once however often it is called; a retry
 *   gets the first outcome (the lines with their prices, or the same error);
 * - `release(orderId)` gives back exactly what the record holds, once, from any state (a release
 *   that arrives before its reserve leaves a record that makes the late reserve take nothing);
 * - `commit(orderId)` marks a placed order's units as sold (a later release returns them);
 * - a crash anywhere is finished by the next call for the same order, and `settle` removes the
 *   markers of finished reservations (undoing any take a crash left behind first).
 */
export class Reservations {
  constructor(
    private readonly products: ProductModel,
    private readonly records: ReservationModel,
    private readonly events: EventBus,
    private readonly logger: Logger,
    private readonly timings: ReservationTimings = DEFAULT_RESERVATION_TIMINGS,
  ) {}

  async reserve(orderId: string, lines: StockLine[]): Promise<ReservedLine[]> {
    const wanted = lines.map((line) => ({
      productId: parseObjectId(line.productId, 'productId'),
      quantity: line.quantity,
      unitPricePaise: 0,
    }));
    // The first call creates the record holding its lease (one write instead of two); a retry waits for it.
    const lease = (await this.createLeased(orderId, wanted)) ?? (await this.acquire(orderId));
    try {
      const { record } = lease;
      if (record.state === 'RELEASED') {
        throw conflict(`orderId: the reservation for order ${orderId} was already released; place the order again`);
      }
      if (!sameLines(record.lines, wanted)) {
        throw conflict(`orderId: order ${orderId} was reserved with other lines; a retry must send the same lines`);
      }
      switch (record.state) {
        case 'HELD':
        case 'COMMITTED':
          return priced(record.lines);
        case 'FAILED':
          throw this.storedFailure(record);
        case 'RESERVING':
          return await this.takeAll(lease);
      }
    } finally {
      await this.unlock(lease);
    }
  }

  async release(orderId: string): Promise<void> {
    // A release that comes first leaves a record behind, so a reserve arriving late takes nothing.
    if (await this.createIfAbsent({ _id: orderId, lines: [], state: 'RELEASED', releasedFrom: 'NONE', settled: true })) return;
    const lease = await this.acquire(orderId);
    try {
      const { record } = lease;
      if (record.settled && record.state !== 'COMMITTED') return; // finished and tidied long ago
      let origin: ReservationState | 'NONE' = record.releasedFrom ?? record.state;
      if (record.state === 'RESERVING' || record.state === 'HELD' || record.state === 'COMMITTED') {
        await this.move(lease, record.state, { state: 'RELEASED', releasedFrom: record.state, settled: false, finishedAt: null });
        origin = record.state;
      }
      await this.giveBack(lease, record.lines, origin);
    } finally {
      await this.unlock(lease);
    }
  }

  async commit(orderId: string): Promise<void> {
    // The usual case in one write: a HELD reservation that no one holds becomes COMMITTED.
    const committed = await this.records.updateOne(
      { _id: orderId, state: 'HELD', $or: [{ leaseUntil: null }, { leaseUntil: { $lt: new Date() } }] },
      { $set: { state: 'COMMITTED', settled: false, finishedAt: null } },
    );
    if (committed.matchedCount === 1) return;
    const lease = await this.acquire(orderId);
    try {
      const { record } = lease;
      if (record.state === 'COMMITTED') return;
      if (record.state !== 'HELD')
        throw conflict(`orderId: the reservation for order ${orderId} is ${record.state} and cannot be committed`);
      await this.move(lease, 'HELD', { state: 'COMMITTED', settled: false, finishedAt: null, leaseOwner: null, leaseUntil: null });
      lease.unlocked = true;
    } finally {
      await this.unlock(lease);
    }
  }

  /**
   * Tidies finished reservations in two rounds at least `settleAfterMs` apart, on any instance:
   * first it finishes whatever give-back a crash cut short and notes the time; then, once nothing
   * has touched the record for `settleAfterMs` more, it removes the markers: a released or failed
   * reservation's takes are undone rather than forgotten (a take that landed late, from a caller
   * paused past its lease, is given back here too), a sale's are forgotten. Only a caller paused
   * for longer than that whole delay could still act on a removed marker. Returns how many records
   * it moved on, at most `limit`.
   */
  async settle(limit = 500): Promise<number> {
    const before = new Date(Date.now() - this.timings.settleAfterMs);
    const due = await this.records
      .find({ settled: false, state: { $in: ['COMMITTED', 'FAILED', 'RELEASED'] }, updatedAt: { $lt: before } }, { _id: 1 })
      .limit(limit)
      .lean<{ _id: string }[]>();
    let moved = 0;
    for (const { _id } of due) {
      const lease = await this.tryAcquire(_id);
      if (!lease) continue; // someone is working on it; next round
      try {
        const { record } = lease;
        if (record.settled) continue;
        const origin = record.releasedFrom ?? record.state;
        if (record.state !== 'COMMITTED') await this.giveBack(lease, record.lines, origin);
        if (!record.finishedAt) {
          await this.records.updateOne({ _id, leaseOwner: lease.owner }, { $set: { finishedAt: new Date() } });
        } else {
          this.ensureHeld(lease);
          for (const line of record.lines) await forgetMarkers(this.products, _id, line);
          await this.records.updateOne({ _id, leaseOwner: lease.owner }, { $set: { settled: true } });
        }
        moved++;
      } finally {
        await this.unlock(lease);
      }
    }
    return moved;
  }

  /** Takes every line not yet taken, then marks the reservation HELD, or FAILED (giving back what it took). */
  private async takeAll(lease: Lease): Promise<ReservedLine[]> {
    const orderId = lease.record._id;
    const changed: ProductDoc[] = [];
    const lines: ReservationLine[] = [];
    try {
      for (const line of lease.record.lines) {
        this.ensureHeld(lease);
        const outcome = await takeLine(this.products, orderId, line);
        if (outcome.kind === 'missing' || outcome.kind === 'short') {
          const failure =
            outcome.kind === 'missing'
              ? notFound('Product', String(line.productId))
              : appError(
                  ErrorCode.OutOfStock,
                  `Only ${outcome.product.stock} unit(s) of "${outcome.product.name}" left; you asked for ${line.quantity}`,
                  { productId: String(line.productId), available: outcome.product.stock },
                );
          const { code, ...extensions } = failure.extensions;
          await this.move(lease, 'RESERVING', {
            state: 'FAILED',
            failure: { code: String(code), message: failure.message, extensions },
            settled: false,
          });
          changed.push(...(await this.undoTakes(lease, lease.record.lines)));
          throw failure;
        }
        if (outcome.kind === 'taken') changed.push(outcome.product);
        lines.push({
          ...line,
          unitPricePaise: outcome.product.pricePaise,
          name: outcome.product.name,
          gstRatePercent: outcome.product.gstRatePercent ?? DEFAULT_GST_RATE_PERCENT,
        });
      }
      // HELD and unlocked in one write: the common path costs one write besides the stock updates.
      await this.move(lease, 'RESERVING', { state: 'HELD', lines, leaseOwner: null, leaseUntil: null });
      lease.unlocked = true;
      return priced(lines);
    } finally {
      await this.publish(changed);
    }
  }

  /** Gives back what a reservation released from `origin` still holds: a sale's units, or taken-but-unsold ones. */
  private async giveBack(lease: Lease, lines: ReservationLine[], origin: ReservationState | 'NONE'): Promise<void> {
    const orderId = lease.record._id;
    const changed: ProductDoc[] = [];
    try {
      if (origin === 'COMMITTED') {
        for (const line of lines) {
          this.ensureHeld(lease);
          const product = await returnLine(this.products, orderId, line);
          if (product) changed.push(product);
        }
      } else {
        changed.push(...(await this.undoTakes(lease, lines)));
      }
    } catch (error) {
      // The record still says what is owed; the next release or settle finishes it.
      this.logger.error('stock give-back interrupted; it is finished by the next release or by settling', { orderId, error });
      throw error;
    } finally {
      await this.publish(changed);
    }
  }

  /** Undoes every take of this order whose marker is still there (a take that never happened, or was undone, is skipped). */
  private async undoTakes(lease: Lease, lines: ReservationLine[]): Promise<ProductDoc[]> {
    const changed: ProductDoc[] = [];
    for (const line of lines) {
      this.ensureHeld(lease);
      const product = await undoTake(this.products, lease.record._id, line);
      if (product) changed.push(product);
    }
    return changed;
  }

  private async publish(products: ProductDoc[]): Promise<void> {
    for (const product of products) await this.events.publish(channels.productUpdated(String(product._id)), productUpdatedPayload(product));
  }

  /** Inserts the record unless one exists; true when this call created it. */
  private async createIfAbsent(record: Partial<ReservationDoc> & { _id: string }): Promise<boolean> {
    try {
      await this.records.create(record);
      return true;
    } catch (error) {
      if (isDuplicateKeyError(error)) return false;
      throw error;
    }
  }

  /** Moves the record from one state to the next while this caller holds its lease. */
  private async move(lease: Lease, from: ReservationState, set: Partial<ReservationDoc>): Promise<void> {
    const moved = await this.records.updateOne({ _id: lease.record._id, state: from, leaseOwner: lease.owner }, { $set: set });
    // Only a holder that stalled past its lease gets here; it must stop rather than act on a stale view.
    if (moved.matchedCount !== 1) throw this.busy(lease.record._id);
  }

  /** Creates a new reservation already leased to this call; null when the order already has one. */
  private async createLeased(orderId: string, lines: ReservationLine[]): Promise<Lease | null> {
    const owner = randomUUID();
    const now = Date.now();
    const actUntil = now + this.timings.leaseMs * 0.8;
    const record = {
      _id: orderId,
      lines,
      state: 'RESERVING' as const,
      leaseOwner: owner,
      leaseUntil: new Date(now + this.timings.leaseMs),
    };
    if (!(await this.createIfAbsent(record))) return null;
    return { owner, record: { ...record, settled: false, createdAt: new Date(now), updatedAt: new Date(now) }, actUntil };
  }

  private async tryAcquire(orderId: string): Promise<Lease | null> {
    const owner = randomUUID();
    const now = Date.now();
    // Measured before the request leaves, so the local deadline is never later than the stored one.
    const actUntil = now + this.timings.leaseMs * 0.8;
    const record = await this.records
      .findOneAndUpdate(
        { _id: orderId, $or: [{ leaseUntil: null }, { leaseUntil: { $lt: new Date(now) } }] },
        { $set: { leaseOwner: owner, leaseUntil: new Date(now + this.timings.leaseMs) } },
        { new: true },
      )
      .lean<ReservationDoc>();
    return record ? { owner, record, actUntil } : null;
  }

  /**
   * Called before every stock change: a holder that was paused (GC, CPU starvation, a frozen VM)
   * until its lease ran out must not act on what it read before, since another caller may have
   * taken over. (Only a pause between this check and the update itself slips through; the markers
   * and the settling delay cover that, see settle.)
   */
  private ensureHeld(lease: Lease): void {
    if (Date.now() > lease.actUntil) throw this.busy(lease.record._id);
  }

  /** Waits (briefly) for the reservation's lease: two calls for one order never work on it at once. */
  private async acquire(orderId: string): Promise<Lease> {
    const deadline = Date.now() + this.timings.leaseWaitMs;
    for (;;) {
      const lease = await this.tryAcquire(orderId);
      if (lease) return lease;
      if (!(await this.records.exists({ _id: orderId }))) throw notFound('Reservation for order', orderId);
      if (Date.now() > deadline) throw this.busy(orderId);
      await sleep(20 + Math.random() * 30);
    }
  }

  private async unlock(lease: Lease): Promise<void> {
    if (lease.unlocked) return;
    await this.records
      .updateOne({ _id: lease.record._id, leaseOwner: lease.owner }, { $set: { leaseOwner: null, leaseUntil: null } })
      .catch((error: unknown) =>
        this.logger.warn('could not unlock a reservation; its lease runs out by itself', { orderId: lease.record._id, error }),
      );
  }

  private busy(orderId: string): GraphQLError {
    // Not a code the orders service passes on: it is its cue to retry.
    return appError(ErrorCode.ServiceUnavailable, `the reservation for order ${orderId} is being changed by another call; retry`);
  }

  private storedFailure(record: ReservationDoc): GraphQLError {
    const failure = record.failure ?? { code: ErrorCode.Internal, message: 'the reservation failed', extensions: {} };
    return appError(failure.code as ErrorCode, failure.message, failure.extensions);
  }
}
