import { Schema, type Connection, type Model } from 'mongoose';
import type { InvoiceKind } from '@supergraph/contracts';
import { ConfigError, type Env } from '@supergraph/runtime';
import { isDuplicateKeyError } from '@supergraph/subgraph-kit';

/**
 * Invoice and credit note numbers: sequential per financial year and series, gap-free, never
 * given twice, and one per order and kind, across any number of workers and restarts.
 *
 * Why a ledger of numbers and not only a counter: with a counter alone ($inc, then write the
 * number on the order) a worker that dies between the two writes, or loses a race for the same
 * order, burns a number, and GST wants the series consecutive. Here a number exists only as a
 * ledger entry that names its order, and is created by one insert that two unique indexes guard:
 * `_id` (the number: never twice) and (orderId, kind) (one per order). An insert is atomic on
 * its own, so this needs no transaction (which the local FerretDB lacks), and a crash at any point
 * leaves either no entry (nothing used) or the entry (found again by the next attempt). The counter
 * document only remembers where the series stands, so allocation starts near the end instead of
 * probing from 1; if it falls behind (a crash after the insert), the next allocation collides
 * with the taken number and moves on.
 */

/** India's financial year runs April to March, in Indian time (UTC+05:30, no daylight saving). */
const IST_OFFSET_MS = (5 * 60 + 30) * 60 * 1000;

/** The financial year a moment falls in, as invoices write it: "2026-27". */
export function financialYearLabel(at: Date): string {
  const ist = new Date(at.getTime() + IST_OFFSET_MS);
  const start = ist.getUTCMonth() >= 3 ? ist.getUTCFullYear() : ist.getUTCFullYear() - 1;
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`;
}

/** Credit notes run in a series of their own, as GST expects for each kind of document. */
export function seriesName(prefix: string, kind: InvoiceKind, at: Date): string {
  return `${kind === 'INVOICE' ? prefix : `${prefix}-CN`}/${financialYearLabel(at)}`;
}

/** "BM/2026-27/000001": six digits, more only past 999,999 documents in a year. */
export function formatDocumentNumber(series: string, sequence: number): string {
  return `${series}/${String(sequence).padStart(6, '0')}`;
}

/** The series prefix (INVOICE_PREFIX): 1 to 6 capital letters or digits, "BM" unless set. */
export function readInvoicePrefix(env: Env): string {
  const prefix = (env.INVOICE_PREFIX ?? '').trim() || 'BM';
  if (!/^[A-Z0-9]{1,6}$/.test(prefix)) {
    throw new ConfigError(`INVOICE_PREFIX must be 1 to 6 capital letters or digits, e.g. BM (got "${prefix}")`);
  }
  return prefix;
}

interface NumberDoc {
  /** The number itself: unique, so no number is given twice. */
  _id: string;
  series: string;
  sequence: number;
  orderId: string;
  kind: InvoiceKind;
  issuedAt: Date;
}

interface SeriesDoc {
  _id: string;
  /** The highest sequence known taken (a hint: the ledger is the truth). */
  last: number;
}

const numberSchema = new Schema<NumberDoc>(
  {
    _id: { type: String, required: true },
    series: { type: String, required: true },
    sequence: { type: Number, required: true },
    orderId: { type: String, required: true },
    kind: { type: String, required: true, enum: ['INVOICE', 'CREDIT_NOTE'] },
    issuedAt: { type: Date, required: true },
  },
  { collection: 'invoice_numbers', versionKey: false },
);
// One number per order and kind, whoever races for it.
numberSchema.index({ orderId: 1, kind: 1 }, { unique: true });

const seriesSchema = new Schema<SeriesDoc>(
  { _id: { type: String, required: true }, last: { type: Number, required: true } },
  { collection: 'invoice_series', versionKey: false },
);

export interface AllocatedNumber {
  number: string;
  issuedAt: Date;
}

export interface DocumentNumbers {
  /** The order's number of this kind: the one it has, or a new one that is the next in its series. */
  allocate(orderId: string, kind: InvoiceKind, now?: Date): Promise<AllocatedNumber>;
  syncIndexes(): Promise<void>;
}

/** How many taken numbers one allocation steps over before giving up (only a stale counter or heavy contention gets near). */
const MAX_PROBES = 1_000;

export function createDocumentNumbers(connection: Connection, prefix: string): DocumentNumbers {
  const numbers: Model<NumberDoc> = connection.model<NumberDoc>('InvoiceNumber', numberSchema);
  const series: Model<SeriesDoc> = connection.model<SeriesDoc>('InvoiceSeries', seriesSchema);

  const existing = async (orderId: string, kind: InvoiceKind): Promise<AllocatedNumber | null> => {
    const found = await numbers.findOne({ orderId, kind }, { issuedAt: 1 }).lean<NumberDoc>();
    return found ? { number: found._id, issuedAt: found.issuedAt } : null;
  };

  return {
    async syncIndexes() {
      await numbers.syncIndexes();
      await series.syncIndexes();
    },
    async allocate(orderId, kind, now = new Date()) {
      const had = await existing(orderId, kind);
      if (had) return had;
      const name = seriesName(prefix, kind, now);
      const counter = await series.findById(name).lean<SeriesDoc>();
      let sequence = (counter?.last ?? 0) + 1;
      for (let probe = 0; probe < MAX_PROBES; probe++, sequence++) {
        const number = formatDocumentNumber(name, sequence);
        try {
          await numbers.create({ _id: number, series: name, sequence, orderId, kind, issuedAt: now });
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
          // Either another worker numbered this order first (use its number) or the number is taken.
          const won = await existing(orderId, kind);
          if (won) return won;
          continue;
        }
        // $max: a slower allocator never moves the hint back.
        await series.updateOne({ _id: name }, { $max: { last: sequence } }, { upsert: true }).catch(async (error: unknown) => {
          // Two first allocations of a series both upserting: one inserted, the other updates it.
          if (!isDuplicateKeyError(error)) throw error;
          await series.updateOne({ _id: name }, { $max: { last: sequence } });
        });
        return { number, issuedAt: now };
      }
      throw new Error(`no free number found in series ${name} after ${MAX_PROBES} tries`);
    },
  };
}
