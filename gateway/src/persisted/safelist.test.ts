import { describe, expect, it } from 'vitest';
import { operationId } from './manifest.js';
import { Safelist } from './safelist.js';

const body = 'query Page($id: ID!) {\n  product(id: $id) {\n    id\n  }\n}';
const safelist = new Safelist([{ id: operationId(body), name: 'Page', type: 'query', body }]);

describe('Safelist', () => {
  it('allows a registered operation by id, by its exact body, and by a body that prints the same', () => {
    expect(safelist.allows({ persistedQueryHash: operationId(body) })).toBe(true);
    expect(safelist.allows({ query: body })).toBe(true);
    expect(safelist.allows({ query: 'query Page($id: ID!) { product(id: $id) { id } } # reformatted' })).toBe(true);
    expect(safelist.allows({ query: body, persistedQueryHash: operationId(body) })).toBe(true);
  });

  it('refuses any other operation, hash or document, with PERSISTED_QUERY_NOT_IN_LIST', () => {
    const other = 'query Page($id: ID!) { product(id: $id) { id name } }';
    expect(safelist.allows({ persistedQueryHash: operationId(other) })).toBe(false);
    expect(safelist.allows({ query: other })).toBe(false);
    // A registered hash does not carry an unregistered document through.
    expect(safelist.allows({ query: other, persistedQueryHash: operationId(body) })).toBe(false);
    expect(safelist.allows({ query: '{ not graphql' })).toBe(false);
    const refusal = safelist.check({ query: other });
    expect(refusal?.extensions.code).toBe('PERSISTED_QUERY_NOT_IN_LIST');
    expect(refusal?.message).toMatch(/npm run persisted:register/);
    expect(safelist.check({ persistedQueryHash: operationId(body) })).toBeNull();
  });

  it('leaves a request with neither document nor hash to Apollo Server', () => {
    expect(safelist.check({})).toBeNull();
  });

  it("serves Apollo Server's hash lookups from the manifest, and takes no registrations", async () => {
    const store = safelist.documentStore();
    expect(await store.get(`apq:${operationId(body)}`)).toBe(body);
    const other = 'query Other { me { id } }';
    await store.set();
    expect(await store.get(`apq:${operationId(other)}`)).toBeUndefined();
  });
});
