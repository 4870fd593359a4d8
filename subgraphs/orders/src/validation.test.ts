import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { Types } from 'mongoose';
import { ORDER_LIMITS } from '@supergraph/contracts';
import { hashLines, normaliseItems, validateIdempotencyKey } from './validation.js';

const { maxLines: MAX_LINES, maxQuantityPerLine: MAX_QUANTITY } = ORDER_LIMITS;

const id = () => String(new Types.ObjectId());

function badField(fn: () => unknown): { field: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return { field: (error as GraphQLError).extensions.field, message: (error as GraphQLError).message };
  }
  throw new Error('expected the call to throw');
}

describe('normaliseItems', () => {
  it('adds together lines for the same product', () => {
    const p = id();
    const q = id();
    const lines = normaliseItems([
      { productId: p, quantity: 2 },
      { productId: q, quantity: 1 },
      { productId: p, quantity: 3 },
    ]);
    expect(lines).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        { productId: p, quantity: 5 },
        { productId: q, quantity: 1 },
      ]),
    );
  });

  it('treats upper- and lower-case ids of one product as the same product', () => {
    const p = id();
    expect(
      normaliseItems([
        { productId: p.toUpperCase(), quantity: 1 },
        { productId: p, quantity: 1 },
      ]),
    ).toEqual([{ productId: p, quantity: 2 }]);
  });

  it('returns lines sorted by product id whatever order they came in', () => {
    const ids = [id(), id(), id()].sort();
    const lines = normaliseItems([
      { productId: ids[2], quantity: 1 },
      { productId: ids[0], quantity: 1 },
      { productId: ids[1], quantity: 1 },
    ]);
    expect(lines.map((l) => l.productId)).toEqual(ids);
  });

  it('refuses an empty basket and one with too many lines, naming `items`', () => {
    expect(badField(() => normaliseItems([])).field).toBe('items');
    const tooMany = Array.from({ length: MAX_LINES + 1 }, () => ({ productId: id(), quantity: 1 }));
    expect(MAX_LINES).toBe(50);
    const { field, message } = badField(() => normaliseItems(tooMany));
    expect(field).toBe('items');
    expect(message).toContain('51');
    expect(normaliseItems(tooMany.slice(0, MAX_LINES))).toHaveLength(MAX_LINES);
  });

  it('names the line with a bad product id', () => {
    expect(
      badField(() =>
        normaliseItems([
          { productId: id(), quantity: 1 },
          { productId: 'abc', quantity: 1 },
        ]),
      ).field,
    ).toBe('items[1].productId');
  });

  it.each([0, -1, 1.5, MAX_QUANTITY + 1, Number.NaN])('names the line with quantity %s', (quantity) => {
    expect(
      badField(() =>
        normaliseItems([
          { productId: id(), quantity: 1 },
          { productId: id(), quantity: 1 },
          { productId: id(), quantity },
        ]),
      ).field,
    ).toBe('items[2].quantity');
  });

  it('accepts up to 1000 units of a product, counted across merged lines', () => {
    const p = id();
    expect(normaliseItems([{ productId: p, quantity: MAX_QUANTITY }])).toEqual([{ productId: p, quantity: 1000 }]);
    expect(
      normaliseItems([
        { productId: p, quantity: 600 },
        { productId: p, quantity: 400 },
      ]),
    ).toEqual([{ productId: p, quantity: 1000 }]);
    const { field, message } = badField(() =>
      normaliseItems([
        { productId: p, quantity: 600 },
        { productId: p, quantity: 401 },
      ]),
    );
    expect(field).toBe('items');
    expect(message).toContain('1000');
  });
});

describe('hashLines', () => {
  it('is stable for the same basket however it was written', () => {
    const p = id();
    const q = id();
    const a = hashLines(
      normaliseItems([
        { productId: p, quantity: 2 },
        { productId: q, quantity: 1 },
      ]),
    );
    const b = hashLines(
      normaliseItems([
        { productId: q, quantity: 1 },
        { productId: p, quantity: 1 },
        { productId: p.toUpperCase(), quantity: 1 },
      ]),
    );
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });

  it('differs when a quantity or a product differs', () => {
    const p = id();
    const base = hashLines([{ productId: p, quantity: 2 }]);
    expect(hashLines([{ productId: p, quantity: 3 }])).not.toBe(base);
    expect(hashLines([{ productId: id(), quantity: 2 }])).not.toBe(base);
    expect(
      hashLines([
        { productId: p, quantity: 2 },
        { productId: id(), quantity: 1 },
      ]),
    ).not.toBe(base);
  });

  it('does not confuse lines whose digits run together', () => {
    const p = id();
    const q = id();
    expect(
      hashLines([
        { productId: p, quantity: 12 },
        { productId: q, quantity: 3 },
      ]),
    ).not.toBe(
      hashLines([
        { productId: p, quantity: 1 },
        { productId: q, quantity: 23 },
      ]),
    );
  });
});

describe('validateIdempotencyKey', () => {
  it('returns null when no key is given', () => {
    expect(validateIdempotencyKey(null)).toBeNull();
    expect(validateIdempotencyKey(undefined)).toBeNull();
  });

  it('returns keys of 1 to 100 characters as they are', () => {
    expect(validateIdempotencyKey('k')).toBe('k');
    expect(validateIdempotencyKey('checkout-2026-10-20-a1b2')).toBe('checkout-2026-10-20-a1b2');
    expect(validateIdempotencyKey('k'.repeat(100))).toHaveLength(100);
  });

  it('refuses an empty or over-long key naming `idempotencyKey`', () => {
    expect(badField(() => validateIdempotencyKey('')).field).toBe('idempotencyKey');
    expect(badField(() => validateIdempotencyKey('k'.repeat(101))).field).toBe('idempotencyKey');
  });
});
