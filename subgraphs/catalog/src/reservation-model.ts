import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * Where one order's reservation stands:
 * - RESERVING: lines are being taken (or a crash cut that short; the next reserve or release finishes it);
 * - HELD: every line taken, the order not yet confirmed as placed;
 * - COMMITTED: the order was placed; the units are sold;
 * - FAILED: a line could not be had (out of stock, no such product); nothing stays taken;
 * - RELEASED: given back (from `releasedFrom`), or released before any reserve arrived.
 */
export type ReservationState = 'RESERVING' | 'HELD' | 'COMMITTED' | 'FAILED' | 'RELEASED';

export interface ReservationLine {
  productId: Types.ObjectId;
  quantity: number;
  /** The price when the line was taken; 0 until the reservation is HELD. */
  unitPricePaise: number;
  /** The product's name and GST rate when the line was taken (for the order's invoice); unset until HELD. */
  name?: string;
  gstRatePercent?: number;
}

export interface ReservationDoc {
  /** The order's id: one reservation per order, so a retried call finds the first one. */
  _id: string;
  lines: ReservationLine[];
  state: ReservationState;
  /** For RELEASED: the state it left; NONE when the release came before any reserve. */
  releasedFrom?: ReservationState | 'NONE';
  /** For FAILED: the error the first attempt answered, answered again to every retry. */
  failure?: { code: string; message: string; extensions: Record<string, unknown> };
  /** When settling first found it finished (and finished any give-back); markers go a settling delay later. */
  finishedAt?: Date | null;
  /** True once the per-product markers this reservation left have been removed (see stock-ledger.ts). */
  settled: boolean;
  /** Who may change the reservation now, and until when (a lease, so a crashed holder does not block it for ever). */
  leaseOwner: string | null;
  leaseUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const lineSchema = new Schema<ReservationLine>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    quantity: { type: Number, required: true, min: 1 },
    unitPricePaise: { type: Number, required: true, default: 0 },
    name: { type: String },
    gstRatePercent: { type: Number },
  },
  { _id: false },
);

const reservationSchema = new Schema<ReservationDoc>(
  {
    _id: { type: String, required: true },
    lines: { type: [lineSchema], default: [] },
    state: { type: String, required: true, enum: ['RESERVING', 'HELD', 'COMMITTED', 'FAILED', 'RELEASED'] },
    releasedFrom: { type: String },
    failure: { type: Schema.Types.Mixed },
    finishedAt: { type: Date, default: null },
    settled: { type: Boolean, required: true, default: false },
    leaseOwner: { type: String, default: null },
    leaseUntil: { type: Date, default: null },
  },
  { collection: 'reservations', timestamps: true },
);
// The settling job's question: which finished reservations still have markers to remove.
reservationSchema.index({ settled: 1, updatedAt: 1 });

export type ReservationModel = Model<ReservationDoc>;

export function registerReservationModel(connection: Connection): ReservationModel {
  return connection.model<ReservationDoc>('Reservation', reservationSchema);
}
