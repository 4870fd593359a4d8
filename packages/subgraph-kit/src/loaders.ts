import DataLoader from 'dataloader';
import type { Model, Types } from 'mongoose';
import type { GraphQLError } from 'graphql';
import { isObjectIdString } from './ids.js';
import { badInput, ErrorCode, errorCodeOf, notFound } from '@supergraph/runtime';

/**
 * A per-request loader of documents by id: one `$in` query per batch, results in
 * key order, and an Error (never null) for each key that is malformed or missing.
 */
export function createByIdLoader<T extends { _id: Types.ObjectId }>(
  model: Model<T>,
  projection: Record<string, 0 | 1>,
  entityName: string,
  extraFilter: Record<string, unknown> = {},
): DataLoader<string, T> {
  return new DataLoader<string, T>(async (ids) => {
    const validIds = [...new Set(ids.filter(isObjectIdString))];
    const docs = validIds.length
      ? ((await model.find({ ...extraFilter, _id: { $in: validIds } }, projection).lean()) as unknown as T[])
      : [];
    const byId = new Map(docs.map((doc) => [String(doc._id), doc]));
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
