import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { formatRupees, literalPattern, MAX_RESTOCK, validateCreate, validateQuantity, validateUpdate } from './validation.js';
import type { CreateProductInput } from './generated/resolvers-types.js';

const valid: CreateProductInput = {
  sku: 'THALI-001',
  name: 'Steel Thali Set',
  description: 'Six-piece set',
  category: 'Kitchen',
  pricePaise: 129900,
  stock: 25,
};

function badField(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as GraphQLError).extensions.field;
  }
  throw new Error('expected the call to throw');
}

describe('validateCreate', () => {
  it('returns trimmed input with the SKU upper-cased', () => {
    expect(
      validateCreate({
        sku: '  thali-001 ',
        name: '  Steel Thali Set ',
        description: '  Six-piece set  ',
        category: ' Kitchen ',
        pricePaise: 0,
        stock: 0,
      }),
    ).toEqual({
      sku: 'THALI-001',
      name: 'Steel Thali Set',
      description: 'Six-piece set',
      category: 'Kitchen',
      pricePaise: 0,
      stock: 0,
      gstRatePercent: 18,
    });
  });

  it('stores a missing or blank description as null', () => {
    expect(validateCreate({ ...valid, description: undefined }).description).toBeNull();
    expect(validateCreate({ ...valid, description: null }).description).toBeNull();
    expect(validateCreate({ ...valid, description: '   ' }).description).toBeNull();
  });

  it.each(['AB', 'A'.repeat(41), 'THALI 001', 'THALI_001', 'थाली-001', ''])('refuses the SKU %j naming `sku`', (sku) => {
    expect(badField(() => validateCreate({ ...valid, sku }))).toBe('sku');
  });

  it('accepts SKUs of 3 and 40 characters', () => {
    expect(validateCreate({ ...valid, sku: 'ab1' }).sku).toBe('AB1');
    expect(validateCreate({ ...valid, sku: 'A'.repeat(40) }).sku).toHaveLength(40);
  });

  it('refuses blank or over-long text fields naming them', () => {
    expect(badField(() => validateCreate({ ...valid, name: '  ' }))).toBe('name');
    expect(badField(() => validateCreate({ ...valid, name: 'n'.repeat(201) }))).toBe('name');
    expect(badField(() => validateCreate({ ...valid, category: '' }))).toBe('category');
    expect(badField(() => validateCreate({ ...valid, category: 'c'.repeat(61) }))).toBe('category');
    expect(badField(() => validateCreate({ ...valid, description: 'd'.repeat(2001) }))).toBe('description');
    expect(validateCreate({ ...valid, description: 'd'.repeat(2000) }).description).toHaveLength(2000);
  });

  it("takes a GST rate from India's slabs, 18 by default", () => {
    expect(validateCreate({ ...valid, gstRatePercent: 5 }).gstRatePercent).toBe(5);
    expect(validateCreate({ ...valid, gstRatePercent: 0 }).gstRatePercent).toBe(0);
    // The 2025 slabs: 40 for luxury goods, 3 for gold and jewellery.
    expect(validateCreate({ ...valid, gstRatePercent: 40 }).gstRatePercent).toBe(40);
    expect(validateCreate({ ...valid, gstRatePercent: 3 }).gstRatePercent).toBe(3);
    expect(validateCreate({ ...valid, gstRatePercent: null }).gstRatePercent).toBe(18);
    for (const rate of [15, -5, 18.5, 41])
      expect(badField(() => validateCreate({ ...valid, gstRatePercent: rate }))).toBe('gstRatePercent');
  });

  it.each([-1, 1.5, Number.NaN])('refuses price and stock %s', (value) => {
    expect(badField(() => validateCreate({ ...valid, pricePaise: value }))).toBe('pricePaise');
    expect(badField(() => validateCreate({ ...valid, stock: value }))).toBe('stock');
  });
});

describe('validateUpdate', () => {
  it('returns only the fields given, trimmed', () => {
    expect(validateUpdate({ name: ' New Name ' })).toEqual({ name: 'New Name' });
    expect(validateUpdate({ pricePaise: 99900, category: ' Home ' })).toEqual({ pricePaise: 99900, category: 'Home' });
  });

  it('lets the description be cleared with null', () => {
    expect(validateUpdate({ description: null })).toEqual({ description: null });
  });

  it('refuses null for required fields', () => {
    expect(badField(() => validateUpdate({ name: null }))).toBe('name');
    expect(badField(() => validateUpdate({ category: null }))).toBe('category');
    expect(badField(() => validateUpdate({ pricePaise: null }))).toBe('pricePaise');
    expect(badField(() => validateUpdate({ gstRatePercent: null }))).toBe('gstRatePercent');
  });

  it('refuses an empty update naming `input`', () => {
    expect(badField(() => validateUpdate({}))).toBe('input');
  });

  it('checks values the same way as create', () => {
    expect(badField(() => validateUpdate({ name: '' }))).toBe('name');
    expect(badField(() => validateUpdate({ pricePaise: -5 }))).toBe('pricePaise');
    expect(badField(() => validateUpdate({ gstRatePercent: 12.5 }))).toBe('gstRatePercent');
    expect(validateUpdate({ gstRatePercent: 28 })).toEqual({ gstRatePercent: 28 });
    expect(badField(() => validateUpdate({ description: 'd'.repeat(2001) }))).toBe('description');
  });
});

describe('validateQuantity', () => {
  it('accepts whole numbers from 1 to the maximum', () => {
    expect(validateQuantity('quantity', 1, 10)).toBe(1);
    expect(validateQuantity('quantity', 10, 10)).toBe(10);
    expect(validateQuantity('quantity', MAX_RESTOCK, MAX_RESTOCK)).toBe(MAX_RESTOCK);
  });

  it.each([0, -1, 11, 2.5])('refuses %s naming the field', (value) => {
    expect(badField(() => validateQuantity('restock.quantity', value, 10))).toBe('restock.quantity');
  });
});

describe('formatRupees', () => {
  it.each([
    [12999900, '₹1,29,999.00'],
    [0, '₹0.00'],
    [5, '₹0.05'],
    [199, '₹1.99'],
    [99900, '₹999.00'],
    [100000, '₹1,000.00'],
    [10000000, '₹1,00,000.00'],
    [1234567890, '₹1,23,45,678.90'],
    [2147483647, '₹2,14,74,836.47'],
  ])('formats %i paise as %s', (paise, expected) => {
    expect(formatRupees(paise)).toBe(expected);
  });
});

describe('literalPattern', () => {
  const special = ['.', '*', '+', '?', '^', '$', '{', '}', '(', ')', '|', '[', ']', '\\'];

  it.each(special)('makes %s match only itself', (char) => {
    const re = new RegExp(`^${literalPattern(`a${char}b`)}$`);
    expect(re.test(`a${char}b`)).toBe(true);
    expect(re.test('axb')).toBe(false);
    expect(re.test('ab')).toBe(false);
  });

  it('matches a search containing every special character literally, as a substring', () => {
    const search = 'Kurta (XL) [cotton] 50% off? $9.99 | a+b*c^d {x} \\';
    const re = new RegExp(literalPattern(search), 'i');
    expect(re.test(`Sale: ${search} today`)).toBe(true);
    expect(re.test(search.replace('(', ''))).toBe(false);
  });

  it('leaves ordinary text, including non-Latin scripts, unchanged', () => {
    expect(literalPattern('Banarasi silk saree')).toBe('Banarasi silk saree');
    expect(literalPattern('साड़ी')).toBe('साड़ी');
  });

  it('defuses a catastrophic-backtracking pattern', () => {
    const evil = '(a+)+$';
    // Every metacharacter is escaped, so no quantifier is left to backtrack over.
    expect(literalPattern(evil)).toBe('\\(a\\+\\)\\+\\$');
    const re = new RegExp(literalPattern(evil));
    expect(re.test('a'.repeat(30) + '!')).toBe(false);
    expect(re.test(`x${evil}`)).toBe(true);
  });
});
