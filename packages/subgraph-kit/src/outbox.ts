import { Schema, type Connection } from 'mongoose';

/**
 * One domain event as recorded with the write that caused it. The outbox, not Redis, is where an
 * event first exists: a write waits only for this insert in its own database, and the relay
 * (outbox-relay.ts) publishes it to Redis whenever Redis is there.
 */
export interface OutboxEntry {
  /** The event's id: subscribers drop a second delivery of it. */
  eventId: string;
  /** The channel without the deployment prefix (e.g. `product.updated.<id>`). */
  channel: string;
  /** The id of the document the event is about, and its version after the write (null: not versioned). */
  entity: string;
  version: number | null;
  /** The payload as JSON, exactly what subscribers receive. */
  payload: string;
  /** The process that recorded it: its relay publishes it at once; others only once it is overdue (a crashed process's). */
  origin: string;
  createdAt: Date;
  /** When a relay published it; null until then. */
  sentAt: Date | null;
  /** The W3C traceparent of the write that recorded it, when that write was traced. */
  traceparent?: string;
}

export type NewOutboxEntry = Omit<OutboxEntry, 'sentAt'>;

export interface OutboxStore {
  append(entry: NewOutboxEntry): Promise<void>;
  /** Unpublished entries, oldest first: one origin's, or everyone's recorded before a moment. */
  unsent(filter: { origin?: string; createdBefore?: Date }, limit: number): Promise<OutboxEntry[]>;
  markSent(eventIds: string[], at: Date): Promise<void>;
  /** Every entry on a channel since a moment, sent or not, oldest first: what a subscriber may have missed. */
  since(channel: string, since: Date, limit: number): Promise<OutboxEntry[]>;
  /** Deletes entries published before the moment; returns how many. */
  prune(sentBefore: Date): Promise<number>;
}

/**
 * Puts each entity's entries in version order without moving anything else: writes to one entity
 * from concurrent requests may record their events in the other order than their versions (write
 * v5, write v6, record v6, record v5), and a subscriber would drop v5 as stale if v6 came first.
 */
export function inEntityOrder(entries: OutboxEntry[]): OutboxEntry[] {
  const slots = new Map<string, number[]>();
  entries.forEach((entry, index) => {
    if (entry.version === null) return;
    const taken = slots.get(entry.entity);
    if (taken) taken.push(index);
    else slots.set(entry.entity, [index]);
  });
  const ordered = [...entries];
  for (const indexes of slots.values()) {
    if (indexes.length < 2) continue;
    const byVersion = indexes.map((i) => entries[i]).sort((a, b) => a.version! - b.version!);
    indexes.forEach((slot, k) => (ordered[slot] = byVersion[k]));
  }
  return ordered;
}

/** As stored: the event id is the document's `_id`, so marking one sent is an `_id` lookup (FerretDB pushes only those down). */
type OutboxDocument = Omit<OutboxEntry, 'eventId'> & { _id: string };

export const outboxSchema = new Schema<OutboxDocument>(
  {
    _id: { type: String, required: true },
    channel: { type: String, required: true },
    entity: { type: String, required: true },
    version: { type: Number, default: null },
    payload: { type: String, required: true },
    origin: { type: String, required: true },
    createdAt: { type: Date, required: true },
    sentAt: { type: Date, default: null },
    traceparent: { type: String },
  },
  // The outbox is rewritten by relays only; mongoose's `__v` would mean nothing here.
  { collection: 'outbox', versionKey: false },
);
// What relays and catching-up subscribers look for. (FerretDB on SQLite scans anyway; MongoDB uses them.)
outboxSchema.index({ sentAt: 1, createdAt: 1 });
outboxSchema.index({ channel: 1, createdAt: 1 });

const OLDEST_FIRST = { createdAt: 1, _id: 1 } as const;

function fromDocument({ _id, ...rest }: OutboxDocument): OutboxEntry {
  return { eventId: _id, ...rest };
}

/**
 * The outbox as a collection in the service's own database. Sent entries are deleted by the relay
 * after a retention period rather than by a TTL index: FerretDB has none.
 */
export async function createMongoOutbox(connection: Connection): Promise<OutboxStore> {
  const model = connection.models.OutboxEntry ?? connection.model<OutboxDocument>('OutboxEntry', outboxSchema);
  await model.syncIndexes();
  const list = async (filter: Record<string, unknown>, limit: number) =>
    (await model.find(filter).sort(OLDEST_FIRST).limit(limit).lean<OutboxDocument[]>()).map(fromDocument);
  return {
    async append({ eventId, ...rest }) {
      await model.create({ _id: eventId, ...rest, sentAt: null });
    },
    async unsent({ origin, createdBefore }, limit) {
      const filter: Record<string, unknown> = { sentAt: null };
      if (origin !== undefined) filter.origin = origin;
      if (createdBefore !== undefined) filter.createdAt = { $lt: createdBefore };
      return list(filter, limit);
    },
    async markSent(eventIds, at) {
      // One `_id` update each: on FerretDB an `$in` would scan the collection, these do not.
      for (const _id of eventIds) await model.updateOne({ _id }, { $set: { sentAt: at } });
    },
    async since(channel, since, limit) {
      return list({ channel, createdAt: { $gte: since } }, limit);
    },
    async prune(sentBefore) {
      const { deletedCount } = await model.deleteMany({ sentAt: { $lt: sentBefore } });
      return deletedCount;
    },
  };
}

/**
 * An outbox in this process's memory: for unit tests, and for a bus without a database. Events
 * still outlive a Redis outage, but not the process.
 */
export function createMemoryOutbox(): OutboxStore {
  const entries: OutboxEntry[] = []; // in the order recorded, which is oldest first
  const copy = (entry: OutboxEntry): OutboxEntry => ({ ...entry });
  return {
    async append(entry) {
      entries.push({ ...entry, sentAt: null });
    },
    async unsent({ origin, createdBefore }, limit) {
      return entries
        .filter((e) => e.sentAt === null && (origin === undefined || e.origin === origin))
        .filter((e) => createdBefore === undefined || e.createdAt < createdBefore)
        .slice(0, limit)
        .map(copy);
    },
    async markSent(eventIds, at) {
      const ids = new Set(eventIds);
      for (const entry of entries) if (ids.has(entry.eventId)) entry.sentAt = at;
    },
    async since(channel, since, limit) {
      return entries
        .filter((e) => e.channel === channel && e.createdAt >= since)
        .slice(0, limit)
        .map(copy);
    },
    async prune(sentBefore) {
      let removed = 0;
      for (let i = entries.length - 1; i >= 0; i--) {
        const sentAt = entries[i].sentAt;
        if (sentAt !== null && sentAt < sentBefore) {
          entries.splice(i, 1);
          removed++;
        }
      }
      return removed;
    },
  };
}
