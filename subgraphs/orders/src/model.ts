import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { versionPlugin } from '@supergraph/subgraph-kit';

/** Public statuses, in the only order an order may move through them. */
export const FORWARD_STATUSES = ['PLACED', 'CONFIRMED', 'SHIPPED', 'DELIVERED'] as const;
export type PublicStatus = (typeof FORWARD_STATUSES)[number] | 'CANCELLED';
/**
 * Statuses clients never see: PENDING while stock is being reserved; FAILING while a placement
 * that did not finish is being undone (its stock released); FAILED once it is undone (kept for audit).
 */
export const HIDDEN_STATUSES = ['PENDING', 'FAILING', 'FAILED'] as const;
export type StoredStatus = PublicStatus | (typeof HIDDEN_STATUSES)[number];
export const CANCELLABLE_STATUSES: PublicStatus[] = ['PLACED', 'CONFIRMED'];
/** The filter that keeps hidden orders out of every client-facing read. */
export const VISIBLE_ORDERS = { status: { $nin: [...HIDDEN_STATUSES] } };

/** A user as this subgraph knows one: by reference only; the users subgraph owns everything else. */
export interface UserRef {
  id: string;
}

export interface OrderLine {
  productId: Types.ObjectId;
  quantity: number;
  unitPricePaise: number;
  /** The product's name and GST rate at ordering time (absent on orders placed before they were kept). */
  productName?: string;
  gstRatePercent?: number;
}

export const DOCUMENT_STATUSES = ['PENDING', 'READY', 'FAILED'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/**
 * An order's tax invoice or credit note: PENDING from the moment it is owed (confirmation,
 * cancellation of an invoiced order), numbered once by the first worker that prepares it, READY
 * once its PDF is stored, FAILED when the worker gave up (a later attempt may still make it READY).
 */
export interface DocumentState {
  status: DocumentStatus;
  number?: string;
  issuedAt?: Date;
}

export interface OrderDoc {
  _id: Types.ObjectId;
  userId: Types.ObjectId;
  items: OrderLine[];
  totalPaise: number;
  status: StoredStatus;
  idempotencyKey: string;
  /** Hash of the requested lines, so a reused key with a different basket is refused. */
  requestHash: string;
  /** Units taken from the customer's daily budget for this order (given back if it fails). */
  unitsTaken?: number;
  /** For FAILED orders: the client's key, moved here so the key can be used again. */
  failedKey?: string;
  /** While FAILING: until when the sweeper instance that claimed it may work on it. */
  sweepLeaseUntil?: Date;
  /** Set when telling the catalog the order's units are sold failed; the sweeper retries it. */
  stockCommitDue?: boolean;
  /** After cancellation: DUE until the catalog has the stock back (DONE). RETURNING: written by earlier versions, read as DUE. */
  stockReturn?: 'DUE' | 'RETURNING' | 'DONE';
  /**
   * The buyer as the order's tax documents name them, kept by the first preparation of one: an
   * invoice rendered again and the credit note reversing it must name the same buyer and split the
   * tax the same way (the place of supply comes from the city), whatever the account says later.
   */
  buyer?: { name: string; city: string | null };
  /** Set when the order is confirmed: its tax invoice. */
  invoice?: DocumentState;
  /** Set when an order that owes an invoice is cancelled: the credit note reversing it. */
  creditNote?: DocumentState;
  /** Grows with every write (versionPlugin); events carry it so subscribers drop stale ones. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const ORDER_FIELDS = {
  userId: 1,
  items: 1,
  totalPaise: 1,
  status: 1,
  invoice: 1,
  creditNote: 1,
  createdAt: 1,
  updatedAt: 1,
} as const;

const lineSchema = new Schema<OrderLine>(
  {
    productId: { type: Schema.Types.ObjectId, required: true },
    quantity: { type: Number, required: true, min: 1 },
    unitPricePaise: { type: Number, required: true, min: 0, default: 0 },
    productName: { type: String },
    gstRatePercent: { type: Number },
  },
  { _id: false },
);

const documentStateSchema = new Schema<DocumentState>(
  {
    status: { type: String, required: true, enum: [...DOCUMENT_STATUSES] },
    number: { type: String },
    issuedAt: { type: Date },
  },
  { _id: false },
);

const orderSchema = new Schema<OrderDoc>(
  {
    userId: { type: Schema.Types.ObjectId, required: true },
    items: { type: [lineSchema], required: true },
    totalPaise: { type: Number, required: true, default: 0 },
    status: { type: String, required: true, enum: [...HIDDEN_STATUSES, ...FORWARD_STATUSES, 'CANCELLED'] },
    idempotencyKey: { type: String, required: true },
    requestHash: { type: String, required: true },
    unitsTaken: { type: Number },
    failedKey: { type: String },
    sweepLeaseUntil: { type: Date },
    stockCommitDue: { type: Boolean },
    stockReturn: { type: String, enum: ['DUE', 'RETURNING', 'DONE'] },
    buyer: { type: new Schema({ name: { type: String, required: true }, city: { type: String, default: null } }, { _id: false }) },
    invoice: { type: documentStateSchema },
    creditNote: { type: documentStateSchema },
  },
  { collection: 'orders', timestamps: true },
);
orderSchema.plugin(versionPlugin);
// A user's orders, newest first.
orderSchema.index({ userId: 1, createdAt: -1, _id: -1 });
// The sweeper's questions: which orders have been PENDING (or FAILING, or owing stock back) too long,
// and which still owe the catalog a stock commit (few: sparse where the database supports it).
orderSchema.index({ status: 1, updatedAt: 1 });
orderSchema.index({ stockCommitDue: 1 }, { sparse: true });
// Every order has a key (generated when the client sends none), so this index
// needs no partial filter: FerretDB and MongoDB treat it the same.
orderSchema.index({ userId: 1, idempotencyKey: 1 }, { unique: true });

export type OrderModel = Model<OrderDoc>;

export function registerOrderModel(connection: Connection): OrderModel {
  return connection.model<OrderDoc>('Order', orderSchema);
}
