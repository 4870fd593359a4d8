import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { decodeCursor, DEFAULT_PAGE_SIZE, encodeCursor, MAX_PAGE_SIZE, parsePageArgs, toConnection } from './index.js';
import { thrownGraphQLError } from '@supergraph/runtime/testing';

describe('cursors', () => {
  it('round-trips an ObjectId and its string form', () => {
    const id = new Types.ObjectId();
    expect(decodeCursor(encodeCursor(id)).equals(id)).toBe(true);
    expect(String(decodeCursor(encodeCursor(String(id))))).toBe(String(id));
  });

  it('is opaque: the cursor is not the raw id and is URL-safe', () => {
    const id = new Types.ObjectId();
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain(String(id));
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('gives different cursors for different ids', () => {
    expect(encodeCursor(new Types.ObjectId())).not.toBe(encodeCursor(new Types.ObjectId()));
  });

  it.each([
    ['arbitrary text', 'not-a-cursor'],
    ['a bare ObjectId', '65f0c0ffee0000000000abcd'],
    ['the wrong prefix', Buffer.from('o:65f0c0ffee0000000000abcd').toString('base64url')],
    ['a short id', Buffer.from('c:65f0c0ffee0000000000abc').toString('base64url')],
    ['trailing data', Buffer.from('c:65f0c0ffee0000000000abcd:x').toString('base64url')],
    ['an empty string', ''],
  ])('refuses %s with BAD_USER_INPUT naming `after`', (_label, cursor) => {
    const error = thrownGraphQLError(() => decodeCursor(cursor));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe('after');
    expect(error.message).toMatch(/^after: /);
  });
});

describe('parsePageArgs', () => {
  it('defaults first to 20 and after to none', () => {
    expect(DEFAULT_PAGE_SIZE).toBe(20);
    expect(parsePageArgs({})).toEqual({ first: 20, afterId: null });
    expect(parsePageArgs({ first: null, after: null })).toEqual({ first: 20, afterId: null });
  });

  it('accepts the bounds 0 and 100', () => {
    expect(MAX_PAGE_SIZE).toBe(100);
    expect(parsePageArgs({ first: 0 }).first).toBe(0);
    expect(parsePageArgs({ first: 100 }).first).toBe(100);
  });

  it.each([101, -1, 2.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses first = %s with BAD_USER_INPUT naming `first`', (first) => {
    const error = thrownGraphQLError(() => parsePageArgs({ first }));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe('first');
    expect(error.message).toContain(String(first));
  });

  it('decodes a cursor this API issued into the id to start after', () => {
    const id = new Types.ObjectId();
    const page = parsePageArgs({ first: 5, after: encodeCursor(id) });
    expect(page.first).toBe(5);
    expect(page.afterId?.equals(id)).toBe(true);
  });

  it('refuses an `after` that is not a cursor', () => {
    const error = thrownGraphQLError(() => parsePageArgs({ after: 'page-2' }));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe('after');
  });
});

describe('toConnection', () => {
  const rows = (n: number) => Array.from({ length: n }, () => ({ _id: new Types.ObjectId() }));

  it('cuts the look-ahead row and reports a next page', () => {
    const fetched = rows(4);
    const connection = toConnection(fetched, 3, 10);
    expect(connection.edges.map((e) => e.node)).toEqual(fetched.slice(0, 3));
    expect(connection.pageInfo.hasNextPage).toBe(true);
    expect(connection.pageInfo.endCursor).toBe(encodeCursor(fetched[2]._id));
    expect(connection.totalCount).toBe(10);
    // The end cursor leads to the row after the last one returned.
    expect(decodeCursor(connection.pageInfo.endCursor!).equals(fetched[2]._id)).toBe(true);
  });

  it('reports the last page when no look-ahead row came back', () => {
    const fetched = rows(2);
    const connection = toConnection(fetched, 3, 2);
    expect(connection.edges).toHaveLength(2);
    expect(connection.pageInfo.hasNextPage).toBe(false);
    expect(connection.edges.map((e) => e.cursor)).toEqual(fetched.map((r) => encodeCursor(r._id)));
  });

  it('has no end cursor for an empty page', () => {
    expect(toConnection([], 5, 0).pageInfo).toEqual({ hasNextPage: false, endCursor: null });
  });

  it('uses a custom cursor function when given', () => {
    const fetched = rows(2);
    const connection = toConnection(fetched, 5, 2, (node) => `x-${String(node._id)}`);
    expect(connection.pageInfo.endCursor).toBe(`x-${String(fetched[1]._id)}`);
  });
});
