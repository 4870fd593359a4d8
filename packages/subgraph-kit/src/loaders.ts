import DataLoader from 'dataloader';
import type { Connection, Model, Types } from 'mongoose';
import type { GraphQLError } from 'graphql';
import { isObjectIdString } from './ids.js';
import { badInput, ErrorCode, errorCodeOf, notFound } from '@supergraph/runtime';

/** Receives the size of every DataLoader batch a service runs (its metrics). */
export type BatchObserver = (loader: string, size: number) => void;

// Keyed by the service's database connection, which every model of the service carries: the batch
// functions need no extra argument, and two services in one process (tests) keep apart.
const batchObservers = new WeakMap<Connection, BatchObserver>();

/** Sends the size of every batch run on `connection`'s models to `observe`. */
export function observeLoaderBatches(connection: Connection, observe: BatchObserver): void {
  batchObservers.set(connection, observe);
}

/** Reports one batch of `loader` over `model` (for loaders written beside createByIdLoader). */
export function recordBatch(model: { db: Connection }, loader: string, size: number): void {
  batchObservers.get(model.db)?.(loader, size);
}

/**
 * A shared cache in front of the database for createByIdLoader (the catalog's products): each id's
 * document or null where none exists; `load` reads the ids the cache does not hold, in one query.
 * Declared here so subgraph-kit needs no cache library; @supergraph/caching's EntityCache fits it.
 */
export interface ByIdReadThrough<T> {
  getMany(ids: string[], load: (ids: string[]) => Promise<Map<string, T>>): Promise<Map<string, T | null>>;
}

/**
 * A per-request loader of documents by id: one `$in` query per batch (for the ids `cache` does not
 * hold, when one is given), results in key order, and an Error (never null) for each key that is
 * malformed or missing.
 */
export function createByIdLoader<T extends { _id: Types.ObjectId }>(
  model: Model<T>,
  projection: Record<string, 0 | 1>,
  entityName: string,
  extraFilter: Record<string, unknown> = {},
  cache?: ByIdReadThrough<T>,
): DataLoader<string, T> {
  const fromDatabase = async (ids: string[]): Promise<Map<string, T>> => {
    if (!ids.length) return new Map();
    // One round trip whatever the batch. At most one document per id, and saying so lets the server
    // close the cursor with its first answer: without a limit MongoDB stops a first batch at 101
    // documents and the local FerretDB keeps every cursor open, so each batch cost a getMore (on
    // FerretDB 15 ms instead of 2). The batch size one above the limit lets FerretDB see the end.
    const docs = (await model
      .find({ ...extraFilter, _id: { $in: ids } }, projection)
      .limit(ids.length)
      .batchSize(ids.length + 1)
      .lean()) as unknown as T[];
    return new Map(docs.map((doc) => [String(doc._id), doc]));
  };
  return new DataLoader<string, T>(async (ids) => {
    recordBatch(model, `${entityName}ById`, ids.length);
    const validIds = [...new Set(ids.filter(isObjectIdString).map((id) => id.toLowerCase()))];
    const byId = cache ? await cache.getMany(validIds, fromDatabase) : await fromDatabase(validIds);
    return ids.map((id): T | GraphQLError => {
      if (!isObjectIdString(id)) return badInput('id', `expected a 24-character hexadecimal id, got ${JSON.stringify(id)}`);
      return byId.get(id.toLowerCase()) ?? notFound(entityName, id);
    });
  });
}

/**
 * Loads one document for a nullable root field (`product(id)`, `order(id)`): a missing one is
 * null, as the schema promises; a malformed id or any other failure is still an error.
 */
export async function loadOrNull<T>(loader: DataLoader<string, T>, id: string): Promise<T | null> {
  try {
    return await loader.load(id);
  } catch (error) {
    if (errorCodeOf(error) === ErrorCode.NotFound) return null;
    throw error;
  }
}
