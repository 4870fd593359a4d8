import { GST_RATE_SLABS, DEFAULT_GST_RATE_PERCENT } from '@supergraph/contracts';
import { badInput } from '@supergraph/runtime';
import type { CreateProductInput, UpdateProductInput } from './generated/resolvers-types.js';

export const MAX_RESTOCK = 1_000_000;

function text(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length < 1 || trimmed.length > max) throw badInput(field, `must be 1 to ${max} characters`);
  return trimmed;
}

function description(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed.length > 2000) throw badInput('description', 'must be at most 2000 characters');
  return trimmed || null;
}

function nonNegativeInt(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw badInput(field, `must be a whole number, 0 or more (got ${value})`);
  return value;
}

function gstRate(value: number): number {
  if (!(GST_RATE_SLABS as readonly number[]).includes(value)) {
    throw badInput('gstRatePercent', `must be one of India's GST slabs: ${GST_RATE_SLABS.join(', ')} (got ${value})`);
  }
  return value;
}

export function validateCreate(input: CreateProductInput): CreateProductInput {
  const sku = input.sku.trim().toUpperCase();
  if (!/^[A-Z0-9-]{3,40}$/.test(sku)) throw badInput('sku', 'must be 3 to 40 letters, digits or dashes');
  return {
    sku,
    name: text('name', input.name, 200),
    description: description(input.description),
    category: text('category', input.category, 60),
    pricePaise: nonNegativeInt('pricePaise', input.pricePaise),
    stock: nonNegativeInt('stock', input.stock),
    gstRatePercent: gstRate(input.gstRatePercent ?? DEFAULT_GST_RATE_PERCENT),
  };
}

/** Returns only the fields to $set; null is refused for required fields. */
export function validateUpdate(input: UpdateProductInput): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (input.name !== undefined) {
    if (input.name === null) throw badInput('name', 'cannot be null');
    changes.name = text('name', input.name, 200);
  }
  if (input.description !== undefined) changes.description = description(input.description);
  if (input.category !== undefined) {
    if (input.category === null) throw badInput('category', 'cannot be null');
    changes.category = text('category', input.category, 60);
  }
  if (input.pricePaise !== undefined) {
    if (input.pricePaise === null) throw badInput('pricePaise', 'cannot be null');
    changes.pricePaise = nonNegativeInt('pricePaise', input.pricePaise);
  }
  if (input.gstRatePercent !== undefined) {
    if (input.gstRatePercent === null) throw badInput('gstRatePercent', 'cannot be null');
    changes.gstRatePercent = gstRate(input.gstRatePercent);
  }
  if (Object.keys(changes).length === 0) {
    throw badInput('input', 'give at least one of name, description, category, pricePaise, gstRatePercent');
  }
  return changes;
}

export function validateQuantity(field: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw badInput(field, `must be a whole number from 1 to ${max} (got ${value})`);
  }
  return value;
}

/** Escapes a user's search text so it matches literally inside a regular expression. */
export function literalPattern(search: string): string {
  return search.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Formats paise as Indian rupees with lakh/crore grouping, e.g. 12999900 -> "₹1,29,999.00". */
export function formatRupees(paise: number): string {
  return '₹' + (paise / 100).toLocaleString('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2, useGrouping: true });
}
