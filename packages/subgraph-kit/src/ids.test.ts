import { describe, expect, it } from 'vitest';
import { Types } from 'mongoose';
import { isObjectIdString, parseObjectId } from './index.js';
import { thrownGraphQLError } from '@supergraph/runtime/testing';

describe('parseObjectId', () => {
  it('parses a 24-character hex id into the same ObjectId', () => {
    const id = new Types.ObjectId();
    const parsed = parseObjectId(String(id));
    expect(parsed).toBeInstanceOf(Types.ObjectId);
    expect(parsed.equals(id)).toBe(true);
  });

  it('accepts upper-case hex and normalises it', () => {
    const id = new Types.ObjectId();
    expect(String(parseObjectId(String(id).toUpperCase()))).toBe(String(id));
  });

  it.each([
    ['too short', '65f0c0ffee0000000000abc'],
    ['too long', '65f0c0ffee0000000000abcde'],
    ['not hex', '65f0c0ffee0000000000abcz'],
    ['padded', ' 65f0c0ffee0000000000abcd'],
    ['a number', 42],
    ['null', null],
    ['an object', { id: '65f0c0ffee0000000000abcd' }],
    // 12-byte strings are ObjectIds to the driver, but never to a client.
    ['a 12-character string', 'abcdefghijkl'],
  ])('refuses %s with BAD_USER_INPUT naming the field', (_label, value) => {
    const error = thrownGraphQLError(() => parseObjectId(value, 'productId'));
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
    expect(error.extensions.field).toBe('productId');
    expect(error.message).toMatch(/^productId: /);
  });

  it('names `id` when no field is given', () => {
    expect(thrownGraphQLError(() => parseObjectId('nope')).extensions.field).toBe('id');
  });

  it('quotes at most 40 characters of the bad value', () => {
    const error = thrownGraphQLError(() => parseObjectId('x'.repeat(500)));
    expect(error.message).toContain('"' + 'x'.repeat(40) + '"');
    expect(error.message).not.toContain('x'.repeat(41));
  });
});

describe('isObjectIdString', () => {
  it('tells id strings from everything else', () => {
    expect(isObjectIdString(String(new Types.ObjectId()))).toBe(true);
    expect(isObjectIdString('ABCDEF0123456789ABCDEF01')).toBe(true);
    expect(isObjectIdString('abcdefghijkl')).toBe(false);
    expect(isObjectIdString(new Types.ObjectId())).toBe(false);
    expect(isObjectIdString(undefined)).toBe(false);
  });
});
