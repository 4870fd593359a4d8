import { Types } from 'mongoose';
import { badInput } from '@supergraph/runtime';

/** Parses a client-supplied id, or throws BAD_USER_INPUT naming the field. */
export function parseObjectId(value: unknown, field = 'id'): Types.ObjectId {
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{24}$/.test(value)) {
    throw badInput(field, `expected a 24-character hexadecimal id, got ${JSON.stringify(String(value).slice(0, 40))}`);
  }
  return new Types.ObjectId(value);
}

export function isObjectIdString(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-fA-F]{24}$/.test(value);
}
