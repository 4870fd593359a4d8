import { Types } from 'mongoose';
import { badInput } from '@supergraph/runtime';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

export interface Page {
  first: number;
  /** The _id the page starts after, in the connection's sort order. */
  afterId: Types.ObjectId | null;
}

export interface RelayConnection<T> {
  edges: { cursor: string; node: T }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount: number;
}

// Cursors are opaque to clients: base64url of "c:<objectId>".
export function encodeCursor(id: Types.ObjectId | string): string {
  return Buffer.from(`c:${String(id)}`).toString('base64url');
}

export function decodeCursor(cursor: string): Types.ObjectId {
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^c:([0-9a-f]{24})$/.exec(decoded);
  if (!match) throw badInput('after', 'not a cursor this API issued; pass pageInfo.endCursor from a previous page');
  return new Types.ObjectId(match[1]);
}

export function parsePageArgs(args: PageArgs): Page {
  const first = args.first ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw badInput('first', `must be between 0 and ${MAX_PAGE_SIZE} (got ${first})`);
  }
  const afterId = args.after === undefined || args.after === null ? null : decodeCursor(args.after);
  return { first, afterId };
}

/**
 * Builds a connection from rows fetched with limit first + 1 (the extra row only
 * tells whether there is a next page).
 */
export function toConnection<T extends { _id: Types.ObjectId }>(
  rows: T[],
  first: number,
  totalCount: number,
  cursorOf: (node: T) => string = (node) => encodeCursor(node._id),
): RelayConnection<T> {
  const pageRows = rows.slice(0, first);
  const edges = pageRows.map((node) => ({ cursor: cursorOf(node), node }));
  return {
    edges,
    pageInfo: { hasNextPage: rows.length > first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
    totalCount,
  };
}
