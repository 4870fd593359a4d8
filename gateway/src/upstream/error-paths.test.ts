import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { unavailablePaths } from './error-paths.js';

const schema = buildSchema(`
  interface Named { name: String! }
  type User { id: ID!, name: String!, orders: OrderConnection, city: String }
  type OrderConnection { totalCount: Int! }
  type Product implements Named { id: ID!, name: String!, description: String }
  type Query { me: User, products: [Product!]! }
`);

const users = [{ __typename: 'User', id: 'u1' }];
const products = [
  { __typename: 'Product', id: 'p1' },
  { __typename: 'Product', id: 'p2' },
];
const entityFetch = (selection: string, fragments = '') =>
  parse(`query Q($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } } ${fragments}`);

describe('unavailablePaths', () => {
  it('puts a root fetch error at each root field it asked for (aliases as the client named them)', () => {
    const document = parse('query { me { name } all: products { id } __typename }');
    expect(unavailablePaths(document, {}, schema)).toEqual([['me'], ['all']]);
  });

  it('puts an entity error at each nullable field asked of each entity (me.orders)', () => {
    const document = entityFetch('... on User { __typename orders { totalCount } city }');
    expect(unavailablePaths(document, { representations: users }, schema)).toEqual([
      ['_entities', 0, 'orders'],
      ['_entities', 0, 'city'],
    ]);
  });

  it('puts it at the entity itself when a non-null field is missing, since the entity is what is null (each product)', () => {
    const document = entityFetch('... on Product { name description }');
    expect(unavailablePaths(document, { representations: products }, schema)).toEqual([
      ['_entities', 0],
      ['_entities', 1],
    ]);
  });

  it('follows named fragments and fragments on interfaces the entity implements', () => {
    const document = entityFetch('...ProductFields', 'fragment ProductFields on Named { name }');
    expect(unavailablePaths(document, { representations: products.slice(0, 1) }, schema)).toEqual([['_entities', 0]]);
    const nullableOnly = entityFetch('... on User { ...UserOrders }', 'fragment UserOrders on User { orders { totalCount } }');
    expect(unavailablePaths(nullableOnly, { representations: users }, schema)).toEqual([['_entities', 0, 'orders']]);
  });

  it('takes only the fragments that apply to the type of each representation', () => {
    const document = entityFetch('... on User { orders { totalCount } } ... on Product { description }');
    expect(unavailablePaths(document, { representations: [users[0], products[0]] }, schema)).toEqual([
      ['_entities', 0, 'orders'],
      ['_entities', 1, 'description'],
    ]);
  });

  it('without the schema, counts fields as non-null and errs at the entity', () => {
    const document = entityFetch('... on User { orders { totalCount } }');
    expect(unavailablePaths(document, { representations: users }, undefined)).toEqual([['_entities', 0]]);
  });
});
