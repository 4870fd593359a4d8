import type { Query, Schema } from 'mongoose';

/** The update operations whose writes the plugin counts (the ones the subgraphs use, and their siblings). */
const UPDATES: ('findOneAndUpdate' | 'updateOne' | 'updateMany')[] = ['findOneAndUpdate', 'updateOne', 'updateMany'];

/**
 * Gives every document of a schema a `version` that grows by one with each write to it, in the
 * same single-document update as the write (so it is as atomic as the write itself): events carry
 * it, and subscribers and caches drop an event older than one they already have.
 *
 * A schema plugin rather than `$inc` at every call site, so no write can forget it. Mongoose's own
 * `__v` is not used: it only changes when `save()` modifies an array, never on findOneAndUpdate.
 * A document written before the plugin has no version; the first `$inc` creates it (as 1).
 */
export function versionPlugin(schema: Schema): void {
  schema.add({ version: { type: Number, default: 0, min: 0 } });
  schema.pre<Query<unknown, unknown>>(UPDATES, function countWrite() {
    const update = this.getUpdate();
    // Aggregation-pipeline updates are not used here; they would need `$add` instead.
    if (update === null || Array.isArray(update)) return;
    const inc = (update.$inc ?? {}) as Record<string, unknown>;
    this.setUpdate({ ...update, $inc: { ...inc, version: 1 } });
  });
  schema.pre('save', function countSave() {
    // A new document starts at the default (0); a changed existing one counts as a write.
    if (!this.isNew && this.isModified()) this.set('version', ((this.get('version') as number | undefined) ?? 0) + 1);
  });
}

/** What identifies an event's subject and its age: the entity's id and the version the write left it at. */
export interface EventSubject {
  entity: string;
  version: number | null;
}

/**
 * The subject of an event whose payload is a stored document (`_id`, `version`), as every domain
 * event here is; otherwise the channel itself is the entity and there is no version (such events
 * are told apart by their id only).
 */
export function subjectOf(channel: string, payload: object): EventSubject {
  // `_id` is an ObjectId (or a string id in tests); either prints as its id.
  const { _id, version } = payload as { _id?: { toString(): string } | null; version?: unknown };
  return {
    entity: _id === undefined || _id === null ? channel : _id.toString(),
    version: typeof version === 'number' && Number.isInteger(version) ? version : null,
  };
}
