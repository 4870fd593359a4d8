import { Schema, type Connection, type Model, type Types } from 'mongoose';
import { DEFAULT_GST_RATE_PERCENT, GST_RATE_SLABS } from '@supergraph/contracts';
import { versionPlugin } from '@supergraph/subgraph-kit';

export interface ProductDoc {
  _id: Types.ObjectId;
  sku: string;
  name: string;
  description?: string | null;
  category: string;
  pricePaise: number;
  /** GST rate in percent, one of India's slabs; absent on products stored before it existed (read as the default). */
  gstRatePercent?: number;
  stock: number;
  /** Reservation markers (`<orderId>:take|return`) of orders in flux; see stock-ledger.ts. Never shown to clients. */
  ledger?: string[];
  /** Grows with every write (versionPlugin); events carry it so subscribers drop stale ones. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export const PRODUCT_FIELDS = {
  sku: 1,
  name: 1,
  description: 1,
  category: 1,
  pricePaise: 1,
  gstRatePercent: 1,
  stock: 1,
  createdAt: 1,
  updatedAt: 1,
} as const;

const productSchema = new Schema<ProductDoc>(
  {
    sku: { type: String, required: true, uppercase: true, trim: true },
    name: { type: String, required: true, trim: true },
    description: { type: String, default: null },
    category: { type: String, required: true, trim: true },
    // Money is integer paise; stock is a whole, non-negative count.
    pricePaise: { type: Number, required: true, min: 0, validate: Number.isInteger },
    gstRatePercent: { type: Number, enum: [...GST_RATE_SLABS], default: DEFAULT_GST_RATE_PERCENT },
    stock: { type: Number, required: true, min: 0, validate: Number.isInteger },
    ledger: { type: [String], default: [] },
  },
  { collection: 'products', timestamps: true },
);
productSchema.plugin(versionPlugin);
productSchema.index({ sku: 1 }, { unique: true });
productSchema.index({ category: 1, _id: 1 });

export type ProductModel = Model<ProductDoc>;

export function registerProductModel(connection: Connection): ProductModel {
  return connection.model<ProductDoc>('Product', productSchema);
}
