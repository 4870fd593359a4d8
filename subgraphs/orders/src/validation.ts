import { createHash } from 'node:crypto';
import { badInput } from '@supergraph/runtime';
import { parseObjectId } from '@supergraph/subgraph-kit';
import { ORDER_LIMITS, type StockLine } from '@supergraph/contracts';
import type { OrderItemInput } from './generated/resolvers-types.js';

const { maxLines: MAX_LINES, maxQuantityPerLine: MAX_QUANTITY } = ORDER_LIMITS;
export const MAX_TOTAL_PAISE = 2_147_483_647; // GraphQL Int

/** Checks every line and adds together lines for the same product. */
export function normaliseItems(items: OrderItemInput[]): StockLine[] {
  if (items.length === 0) throw badInput('items', 'must contain at least one line');
  if (items.length > MAX_LINES) throw badInput('items', `may contain at most ${MAX_LINES} lines (got ${items.length})`);
  const merged = new Map<string, number>();
  items.forEach((item, index) => {
    const id = String(parseObjectId(item.productId, `items[${index}].productId`));
    if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > MAX_QUANTITY) {
      throw badInput(`items[${index}].quantity`, `must be a whole number from 1 to ${MAX_QUANTITY} (got ${item.quantity})`);
    }
    merged.set(id, (merged.get(id) ?? 0) + item.quantity);
  });
  const lines = [...merged].map(([productId, quantity]) => ({ productId, quantity }));
  for (const line of lines) {
    if (line.quantity > MAX_QUANTITY) throw badInput('items', `at most ${MAX_QUANTITY} units of one product per order`);
  }
  // A fixed order keeps reservations deterministic and the request hash stable.
  return lines.sort((a, b) => a.productId.localeCompare(b.productId));
}

export function validateIdempotencyKey(key: string | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  if (key.length < 1 || key.length > 100) throw badInput('idempotencyKey', 'must be 1 to 100 characters');
  return key;
}

export function hashLines(lines: StockLine[]): string {
  return createHash('sha256').update(JSON.stringify(lines)).digest('hex');
}
