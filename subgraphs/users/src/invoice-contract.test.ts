import { describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import { INVOICE_BUYER_QUERY } from '@supergraph/contracts';
import { createSubgraphSchema } from '@supergraph/subgraph-kit';

// The worker asks the users subgraph for an invoice's buyer with the document in @supergraph/contracts.
const schema = createSubgraphSchema(new URL('../schema.graphql', import.meta.url), {});

describe('the invoice buyer contract with the worker', () => {
  it('the invoiceBuyer document is valid against the users schema', () => {
    expect(validate(schema, parse(INVOICE_BUYER_QUERY)).map((e) => e.message)).toEqual([]);
    expect(validate(schema, parse(INVOICE_BUYER_QUERY.replace('name city', 'name town'))).length).toBeGreaterThan(0);
  });
});
