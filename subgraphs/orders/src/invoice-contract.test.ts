import { describe, expect, it } from 'vitest';
import { parse, validate } from 'graphql';
import { ATTACH_INVOICE_MUTATION, FAIL_INVOICE_MUTATION, PREPARE_INVOICE_MUTATION } from '@supergraph/contracts';
import { createSubgraphSchema } from '@supergraph/subgraph-kit';

// The orders subgraph owns the internal invoice operations; the worker sends the documents in
// @supergraph/contracts. If the schema changes under them, this fails here first.
const schema = createSubgraphSchema(new URL('../schema.graphql', import.meta.url), {});

describe('the invoice contract with the worker', () => {
  it.each([
    ['prepareInvoice', PREPARE_INVOICE_MUTATION],
    ['attachInvoicePdf', ATTACH_INVOICE_MUTATION],
    ['failInvoice', FAIL_INVOICE_MUTATION],
  ])('the %s document the worker sends is valid against the orders schema', (_name, document) => {
    expect(validate(schema, parse(document)).map((e) => e.message)).toEqual([]);
  });

  it('a document the orders subgraph does not serve is caught by the same check', () => {
    expect(validate(schema, parse(PREPARE_INVOICE_MUTATION.replace('issuedAt status', 'issuedOn status'))).length).toBeGreaterThan(0);
  });
});
