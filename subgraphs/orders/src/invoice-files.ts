import { Schema, type Connection, type Model } from 'mongoose';
import type { InvoiceKind } from '@supergraph/contracts';
import { isDuplicateKeyError } from '@supergraph/subgraph-kit';

/**
 * The rendered PDFs, one document each in a collection of their own, keyed `<kind>:<orderId>`.
 * Not GridFS: an invoice is tens of kilobytes (a 50-line order stays far below the 16 MB document
 * limit, and the worker refuses anything over MAX_INVOICE_PDF_BYTES), so chunking buys nothing,
 * while GridFS's reads go through a `files_id` + `n` query that the local FerretDB cannot answer
 * from an index; here every read and write is a single `_id` lookup. Kept out of the orders
 * collection so listing orders never drags PDFs along.
 */
interface InvoiceFileDoc {
  _id: string;
  orderId: string;
  kind: InvoiceKind;
  number: string;
  pdf: Buffer;
  createdAt: Date;
}

const fileSchema = new Schema<InvoiceFileDoc>(
  {
    _id: { type: String, required: true },
    orderId: { type: String, required: true },
    kind: { type: String, required: true, enum: ['INVOICE', 'CREDIT_NOTE'] },
    number: { type: String, required: true },
    pdf: { type: Buffer, required: true },
    createdAt: { type: Date, required: true },
  },
  { collection: 'invoice_files', versionKey: false },
);

export interface StoredFile {
  number: string;
  pdf: Buffer;
}

export interface InvoiceFiles {
  /** Stores the PDF unless one is stored already (the first stays: a racing worker's copy is the same document). */
  store(orderId: string, kind: InvoiceKind, number: string, pdf: Buffer): Promise<void>;
  read(orderId: string, kind: InvoiceKind): Promise<StoredFile | null>;
}

const fileId = (orderId: string, kind: InvoiceKind) => `${kind}:${orderId}`;

export function createInvoiceFiles(connection: Connection): InvoiceFiles {
  const files: Model<InvoiceFileDoc> = connection.model<InvoiceFileDoc>('InvoiceFile', fileSchema);
  return {
    async store(orderId, kind, number, pdf) {
      try {
        await files.create({ _id: fileId(orderId, kind), orderId, kind, number, pdf, createdAt: new Date() });
      } catch (error) {
        if (!isDuplicateKeyError(error)) throw error;
      }
    },
    async read(orderId, kind) {
      const found = await files.findById(fileId(orderId, kind), { number: 1, pdf: 1 }).lean<{ number: string; pdf: unknown }>();
      if (!found) return null;
      // Lean reads give BSON Binary, not a Buffer.
      const raw = found.pdf as { buffer?: Uint8Array } | Buffer;
      return { number: found.number, pdf: Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer ?? new Uint8Array()) };
    },
  };
}
