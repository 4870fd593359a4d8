import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkout, customers, FaultStack, type OrderOutcome } from './order-faults.js';

// Kill -9 the orders service, then the catalog, in the middle of a burst of 50 checkouts from
// customers who retry like phones do; after restarting it and letting the sweeper run, stock is
// exact and the orders are exactly the ones customers were told about.

const STOCK = 40;
const BURST = 50;

/** 50 checkouts at once over 3 products (some run out), every third one cancelled afterwards. */
async function burst(stack: FaultStack, products: string[], tokens: string[], crash: () => Promise<void>) {
  let finished = 0;
  const outcomes = Array.from({ length: BURST }, (_, i) =>
    checkout(
      stack,
      tokens[i % tokens.length],
      [
        { productId: products[i % 3], quantity: 1 + (i % 2) },
        { productId: products[(i + 1) % 3], quantity: 1 },
      ],
      { cancel: i % 3 === 0 },
    ).finally(() => finished++),
  );
  // The crash comes once some checkouts are done and the rest are in flight.
  const crashed = (async () => {
    while (finished < 8) await new Promise((resolve) => setTimeout(resolve, 20));
    await crash();
  })();
  const results: OrderOutcome[] = await Promise.all(outcomes);
  await crashed;
  return results;
}

describe.each([
  ['orders', 500],
  ['catalog', 500],
] as const)('kill -9 the %s service mid-burst', (victim, downMs) => {
  const stack = new FaultStack();
  let products: string[];
  let tokens: string[];

  beforeAll(async () => {
    await stack.start();
    products = await stack.products(3, STOCK);
    tokens = await customers(10);
  }, 120_000);

  afterAll(() => stack.stop());

  it('stock stays exact and every order a client saw placed exists exactly once', async () => {
    const outcomes = await burst(stack, products, tokens, () => stack.crashAndRestart(victim, downMs));
    // Every checkout got a final answer: placed, or refused for want of stock.
    for (const outcome of outcomes) {
      expect(outcome.orderId ?? outcome.refused).toBeDefined();
      if (outcome.refused) expect(outcome.refused).toBe('OUT_OF_STOCK');
    }
    expect(outcomes.filter((o) => o.orderId).length).toBeGreaterThan(10);
    // The crash really cut into the burst: some checkouts needed more than one attempt.
    expect(outcomes.flatMap((o) => o.transient).length).toBeGreaterThan(0);

    await stack.waitUntilSettled();
    await stack.expectStockExact(products, STOCK);
    await stack.expectOrdersExactlyAsSeen(outcomes);
  }, 120_000);
});
