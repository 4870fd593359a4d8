import { describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import { COMMIT_STOCK_MUTATION, RELEASE_STOCK_MUTATION, RESERVE_STOCK_MUTATION } from '@supergraph/contracts';
import { createSubgraphSchema } from '@supergraph/subgraph-kit';

// The catalog owns the internal stock operations; the orders service sends the documents in
// @supergraph/contracts. If the catalog's schema changes under them, this fails here first.
const schema = createSubgraphSchema(new URL('../schema.graphql', import.meta.url), {});

describe('the stock contract with the orders subgraph', () => {
  it.each([
    ['reserveStock', RESERVE_STOCK_MUTATION],
    ['releaseStock', RELEASE_STOCK_MUTATION],
    ['commitStock', COMMIT_STOCK_MUTATION],
  ])('the %s document orders sends is valid against the catalog schema', (_name, document) => {
    expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
  });

  it('a document the catalog does not serve is caught by the same check', () => {
    expect(validate(schema, parse(RESERVE_STOCK_MUTATION.replace('unitPricePaise', 'unitPrice'))).length).toBeGreaterThan(0);
  });
});
