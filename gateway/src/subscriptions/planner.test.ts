import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';

import { GraphQLError, parse, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import type { PlanNode } from '@apollo/query-planner';
import type { GatewayContext } from '../context.js';
import { SubscriptionPlanner, type PlannedSubscription } from './planner.js';

const supergraphSdl = readFileSync(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8');

const ORDER_STATUS = `subscription($id: ID!) { orderStatusChanged(id: $id) { id status user { name } items { quantity product { name } } } }`;

let planner: SubscriptionPlanner;

beforeAll(() => {
  planner = new SubscriptionPlanner(supergraphSdl);
});

/** Plans `source`, failing the test with the returned errors if it was refused. */
function planOf(source: string, operationName?: string): PlannedSubscription {
  const planned = planner.plan(parse(source), operationName);
  if (Array.isArray(planned)) throw new Error(`expected a plan, got errors: ${planned.map((e) => e.message).join('; ')}`);
  return planned;
}

/** Plans `source`, failing the test if it was accepted. */
function errorsOf(source: string, operationName?: string): GraphQLError[] {
  const planned = planner.plan(parse(source), operationName);
  if (!Array.isArray(planned)) throw new Error(`expected errors, got a plan for ${planned.rootField}`);
  return planned;
}

/** Every fetch in a plan tree, depth first. */
function fetchesIn(node: PlanNode | undefined): { serviceName: string; operation: string }[] {
  if (!node) return [];
  switch (node.kind) {
    case 'Fetch':
      return [{ serviceName: node.serviceName, operation: node.operation }];
    case 'Flatten':
      return fetchesIn(node.node);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchesIn);
    default:
      throw new Error(`unexpected plan node ${node.kind}`);
  }
}

interface Recorded {
  query: string | undefined;
  variables: Record<string, unknown> | undefined;
  context: GatewayContext;
}

type Reply = { data?: Record<string, unknown> | null; errors?: GraphQLFormattedError[] };

/** A hand-written subgraph data source that records every request and answers with `reply`. */
function subgraph(reply: (variables: Record<string, unknown>) => Reply | Promise<Reply>) {
  const requests: Recorded[] = [];
  const source: GraphQLDataSource<GatewayContext> = {
    async process({ request, context }) {
      requests.push({ query: request.query, variables: request.variables, context: context as GatewayContext });
      return reply(request.variables ?? {});
    },
  };
  return { source, requests };
}

type Representation = { __typename: string; id: string };
const representationsOf = (variables: Record<string, unknown>) => variables.representations as Representation[];

const USERS: Record<string, string> = { u1: 'Priya Sharma', u2: 'Arjun Mehta' };
const PRODUCTS: Record<string, string> = { p1: 'Handloom Cotton Kurta', p2: 'Masala Chai 250g', p3: 'Brass Diya' };

/** Users and catalog subgraphs that resolve every entity they are asked for. */
function healthySubgraphs() {
  const users = subgraph((variables) => ({
    data: { _entities: representationsOf(variables).map((r) => ({ __typename: 'User', name: USERS[r.id] })) },
  }));
  const catalog = subgraph((variables) => ({
    data: { _entities: representationsOf(variables).map((r) => ({ __typename: 'Product', name: PRODUCTS[r.id] })) },
  }));
  const orders = subgraph(() => ({ errors: [{ message: 'the primary fetch must come from the event, not from orders' }] }));
  const serviceMap: ServiceMap = { users: users.source, catalog: catalog.source, orders: orders.source };
  return { users, catalog, orders, serviceMap };
}

/** What the orders subgraph sends for one orderStatusChanged event of the cross-subgraph selection. */
function orderEvent(status: string, userId: string, items: [productId: string, quantity: number][]): ExecutionResult {
  return {
    data: {
      orderStatusChanged: {
        id: 'o1',
        status,
        user: { __typename: 'User', id: userId },
        items: items.map(([id, quantity]) => ({ quantity, product: { __typename: 'Product', id } })),
      },
    },
  };
}

describe('SubscriptionPlanner construction', () => {
  it('exposes the client API schema: the subscription fields are there, join and inaccessible elements are not', () => {
    const fields = planner.schema.getSubscriptionType()?.getFields() ?? {};
    expect(Object.keys(fields).sort()).toEqual(['orderPlaced', 'orderStatusChanged', 'productUpdated']);
    expect(planner.schema.getType('join__Graph')).toBeUndefined();
    expect(planner.schema.getMutationType()?.getFields().reserveStock).toBeUndefined();
    expect(planner.schema.getMutationType()?.getFields().placeOrder).toBeDefined();
  });

  it('throws on SDL that is not a supergraph', () => {
    expect(() => new SubscriptionPlanner('type Query { hello: String }')).toThrow();
  });
});

describe('SubscriptionPlanner.plan', () => {
  it('plans the cross-subgraph order selection: primary on orders, rest on users and catalog', () => {
    const planned = planOf(ORDER_STATUS);

    expect(planned.rootField).toBe('orderStatusChanged');
    expect(planned.operationName).toBeUndefined();
    expect(planned.primary.kind).toBe('Fetch');
    expect(planned.primary.serviceName).toBe('orders');
    expect(planned.primary.variableUsages).toEqual(['id']);

    const primary = planned.primary.operation;
    expect(primary).toMatch(/^subscription/);
    expect(primary).toContain('orderStatusChanged(id:$id)');
    // The orders subgraph only gives the keys; names come from users and catalog.
    expect(primary).toMatch(/user\{__typename id\}/);
    expect(primary).toMatch(/product\{__typename id\}/);
    expect(primary).not.toMatch(/[{ ]name[ }]/);

    const rest = fetchesIn(planned.rest);
    expect(rest.map((f) => f.serviceName).sort()).toEqual(['catalog', 'users']);
    const users = rest.find((f) => f.serviceName === 'users')!;
    const catalog = rest.find((f) => f.serviceName === 'catalog')!;
    expect(users.operation).toContain('_entities(representations:$representations)');
    expect(users.operation).toContain('...on User{name}');
    expect(catalog.operation).toContain('_entities(representations:$representations)');
    expect(catalog.operation).toContain('...on Product{name}');
  });

  it('keeps the document and operation context of the planned operation', () => {
    const document = parse(ORDER_STATUS);
    const planned = planner.plan(document, undefined);
    if (Array.isArray(planned)) throw new Error('expected a plan');
    expect(planned.document).toBe(document);
    expect(planned.operationContext.operation.operation).toBe('subscription');
    expect(planned.operationContext.schema).toBe(planner.schema);
  });

  it('plans a selection one subgraph can answer with no rest', () => {
    const planned = planOf('subscription { productUpdated(id: "p1") { id name pricePaise stock } }');
    expect(planned.rootField).toBe('productUpdated');
    expect(planned.primary.serviceName).toBe('catalog');
    expect(planned.primary.operation).toContain('productUpdated(id:"p1")');
    expect(planned.rest).toBeUndefined();
  });

  it('marks productUpdated, tagged public in the supergraph, as public and the order subscriptions as not', () => {
    expect(planOf('subscription { productUpdated(id: "p1") { id } }').isPublic).toBe(true);
    expect(planOf('subscription($id: ID!) { orderStatusChanged(id: $id) { id } }').isPublic).toBe(false);
    expect(planOf(ORDER_STATUS).isPublic).toBe(false);
    expect(planOf('subscription { orderPlaced { id } }').isPublic).toBe(false);
  });

  it('finds the root field inside fragment spreads and inline fragments', () => {
    const spread = planOf('subscription { ...Watch } fragment Watch on Subscription { productUpdated(id: "p1") { id } }');
    expect(spread).toMatchObject({ rootField: 'productUpdated', isPublic: true });
    const inline = planOf('subscription { ... on Subscription { productUpdated(id: "p1") { id } } }');
    expect(inline).toMatchObject({ rootField: 'productUpdated', isPublic: true });
  });

  it('recognises the public root field under an alias', () => {
    const planned = planOf('subscription { watched: productUpdated(id: "p1") { id } }');
    expect(planned.rootField).toBe('productUpdated');
    expect(planned.isPublic).toBe(true);
  });

  it('reads public fields from the SDL it was given, not from a fixed list', () => {
    const retagged = supergraphSdl
      .replace('@join__field(graph: CATALOG) @tag(name: "public")', '@join__field(graph: CATALOG)')
      .replace('orderPlaced: Order! @join__field(graph: ORDERS)', 'orderPlaced: Order! @join__field(graph: ORDERS) @tag(name: "public")');
    expect(retagged).not.toBe(supergraphSdl);
    const other = new SubscriptionPlanner(retagged);
    const product = other.plan(parse('subscription { productUpdated(id: "p1") { id } }'), undefined);
    const placed = other.plan(parse('subscription { orderPlaced { id } }'), undefined);
    if (Array.isArray(product) || Array.isArray(placed)) throw new Error('expected plans');
    expect(product.isPublic).toBe(false);
    expect(placed.isPublic).toBe(true);
  });

  it('only the "public" tag makes a field public, not any @tag', () => {
    const tagged = supergraphSdl.replace(
      'orderPlaced: Order! @join__field(graph: ORDERS)',
      'orderPlaced: Order! @join__field(graph: ORDERS) @tag(name: "internal")',
    );
    expect(tagged).not.toBe(supergraphSdl);
    const other = new SubscriptionPlanner(tagged);
    const placed = other.plan(parse('subscription { orderPlaced { id } }'), undefined);
    const product = other.plan(parse('subscription { productUpdated(id: "p1") { id } }'), undefined);
    if (Array.isArray(placed) || Array.isArray(product)) throw new Error('expected plans');
    expect(placed.isPublic).toBe(false);
    expect(product.isPublic).toBe(true);
  });

  it.each([
    ['an unknown field', 'subscription($id: ID!) { orderStatusChanged(id: $id) { id nope } }', /nope/],
    ['an unknown root field', 'subscription { priceDropped { id } }', /priceDropped/],
    ['a missing required argument', 'subscription { orderStatusChanged { id } }', /id/],
    ['an undeclared variable', 'subscription { orderStatusChanged(id: $id) { id } }', /\$id/],
    ['two root fields', 'subscription { orderPlaced { id } productUpdated(id: "p1") { id } }', /one top level field/],
    ['a missing selection set', 'subscription($id: ID!) { orderStatusChanged(id: $id) }', /selection/],
  ])('refuses %s with GRAPHQL_VALIDATION_FAILED', (_what, source, message) => {
    const errors = errorsOf(source);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error).toBeInstanceOf(GraphQLError);
      expect(error.extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    }
    expect(errors.map((e) => e.message).join('\n')).toMatch(message);
  });

  it('keeps the location of a validation error', () => {
    const [error] = errorsOf('subscription($id: ID!) {\n  orderStatusChanged(id: $id) { id nope }\n}');
    expect(error.locations).toEqual([{ line: 2, column: 36 }]);
  });

  it('refuses fields the client API does not have (inaccessible in the supergraph)', () => {
    const errors = errorsOf(
      'subscription { orderPlaced { id } } mutation M { reserveStock(orderId: "o1", lines: []) { productId } }',
      undefined,
    );
    expect(errors.some((e) => /reserveStock/.test(e.message))).toBe(true);
    expect(errors.every((e) => e.extensions.code === 'GRAPHQL_VALIDATION_FAILED')).toBe(true);
  });

  it('refuses a query document: it is not a subscription', () => {
    const errors = errorsOf('query { products(first: 1) { edges { node { id name } } } }');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(GraphQLError);
    expect(errors[0].message).toMatch(/subscription/i);
    expect(errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a mutation document', () => {
    const errors = errorsOf('mutation { logIn(email: "a@b.in", password: "x") { token } }');
    expect(errors).toHaveLength(1);
    expect(errors[0].message).toMatch(/subscription/i);
  });

  it('in a document with several operations, plans the one named and refuses to guess', () => {
    const source = 'query Q { products(first: 1) { edges { node { id } } } } subscription S { productUpdated(id: "p1") { id } }';
    const planned = planOf(source, 'S');
    expect(planned.operationName).toBe('S');
    expect(planned.rootField).toBe('productUpdated');
    expect(planned.primary.serviceName).toBe('catalog');

    const unnamed = errorsOf(source);
    expect(unnamed).toHaveLength(1);
    expect(unnamed[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(unnamed[0].message).toMatch(/operationName/);

    expect(errorsOf(source, 'Missing')[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(errorsOf(source, 'Q')[0].message).toMatch(/subscription/i);
  });
});

describe('SubscriptionPlanner.executeEvent', () => {
  it('merges the entities from users and catalog into the event, shaped like the client selection', async () => {
    const planned = planOf(ORDER_STATUS);
    const { users, catalog, orders, serviceMap } = healthySubgraphs();

    const result = await planner.executeEvent(
      planned,
      orderEvent('SHIPPED', 'u1', [
        ['p1', 2],
        ['p2', 1],
      ]),
      { id: 'o1' },
      {},
      serviceMap,
    );

    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      orderStatusChanged: {
        id: 'o1',
        status: 'SHIPPED',
        user: { name: 'Priya Sharma' },
        items: [
          { quantity: 2, product: { name: 'Handloom Cotton Kurta' } },
          { quantity: 1, product: { name: 'Masala Chai 250g' } },
        ],
      },
    });
    // Keys the planner added (__typename, id) are not leaked into fields the client did not ask for.
    expect(JSON.stringify(result.data)).not.toContain('__typename');

    expect(users.requests).toHaveLength(1);
    expect(representationsOf(users.requests[0].variables ?? {})).toEqual([{ __typename: 'User', id: 'u1' }]);
    expect(catalog.requests).toHaveLength(1);
    expect(orders.requests).toHaveLength(0);
  });

  it('batches all products of one event into one catalog request', async () => {
    const planned = planOf(ORDER_STATUS);
    const { catalog, serviceMap } = healthySubgraphs();

    const result = await planner.executeEvent(
      planned,
      orderEvent('PLACED', 'u2', [
        ['p1', 1],
        ['p2', 3],
        ['p3', 5],
      ]),
      { id: 'o1' },
      {},
      serviceMap,
    );

    expect(catalog.requests).toHaveLength(1);
    const [request] = catalog.requests;
    expect(request.query).toContain('_entities');
    expect(representationsOf(request.variables ?? {})).toEqual([
      { __typename: 'Product', id: 'p1' },
      { __typename: 'Product', id: 'p2' },
      { __typename: 'Product', id: 'p3' },
    ]);
    expect(result.data).toEqual({
      orderStatusChanged: {
        id: 'o1',
        status: 'PLACED',
        user: { name: 'Arjun Mehta' },
        items: [
          { quantity: 1, product: { name: 'Handloom Cotton Kurta' } },
          { quantity: 3, product: { name: 'Masala Chai 250g' } },
          { quantity: 5, product: { name: 'Brass Diya' } },
        ],
      },
    });
  });

  it('resolves every event on its own: two events, two catalog requests, each with its own products', async () => {
    const planned = planOf(ORDER_STATUS);
    const { catalog, serviceMap } = healthySubgraphs();

    const first = await planner.executeEvent(planned, orderEvent('PLACED', 'u1', [['p1', 1]]), { id: 'o1' }, {}, serviceMap);
    const second = await planner.executeEvent(planned, orderEvent('CONFIRMED', 'u1', [['p3', 2]]), { id: 'o1' }, {}, serviceMap);

    expect(catalog.requests.map((r) => representationsOf(r.variables ?? {}).map((p) => p.id))).toEqual([['p1'], ['p3']]);
    expect((first.data as { orderStatusChanged: { status: string } }).orderStatusChanged.status).toBe('PLACED');
    expect(second.data).toMatchObject({
      orderStatusChanged: { status: 'CONFIRMED', items: [{ quantity: 2, product: { name: 'Brass Diya' } }] },
    });
  });

  it('passes the caller context (its token) to the data sources of the rest', async () => {
    const planned = planOf(ORDER_STATUS);
    const { users, catalog, serviceMap } = healthySubgraphs();
    await planner.executeEvent(
      planned,
      orderEvent('SHIPPED', 'u1', [['p1', 1]]),
      { id: 'o1' },
      { authorization: 'Bearer t0k3n' },
      serviceMap,
    );
    expect(users.requests[0].context.authorization).toBe('Bearer t0k3n');
    expect(catalog.requests[0].context.authorization).toBe('Bearer t0k3n');
  });

  it('answers a plan with no rest from the event alone, without calling any subgraph', async () => {
    const planned = planOf('subscription { productUpdated(id: "p1") { id name pricePaise } }');
    const { users, catalog, orders, serviceMap } = healthySubgraphs();
    const result = await planner.executeEvent(
      planned,
      { data: { productUpdated: { id: 'p1', name: 'Handloom Cotton Kurta', pricePaise: 129900 } } },
      {},
      {},
      serviceMap,
    );
    expect(result).toEqual({ data: { productUpdated: { id: 'p1', name: 'Handloom Cotton Kurta', pricePaise: 129900 } } });
    expect([...users.requests, ...catalog.requests, ...orders.requests]).toHaveLength(0);
  });

  it('follows aliases in the client selection', async () => {
    const planned = planOf('subscription($id: ID!) { mine: orderStatusChanged(id: $id) { state: status buyer: user { name } } }');
    const { serviceMap } = healthySubgraphs();
    const result = await planner.executeEvent(
      planned,
      { data: { mine: { state: 'DELIVERED', buyer: { __typename: 'User', id: 'u2' } } } },
      { id: 'o1' },
      {},
      serviceMap,
    );
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({ mine: { state: 'DELIVERED', buyer: { name: 'Arjun Mehta' } } });
  });

  it('reports a subgraph error in errors with its extensions.code kept and the path of the client field', async () => {
    const planned = planOf(
      'subscription($id: ID!) { orderStatusChanged(id: $id) { status items { quantity product { name description } } } }',
    );
    const catalog = subgraph((variables) => ({
      data: { _entities: representationsOf(variables).map((r) => ({ __typename: 'Product', name: PRODUCTS[r.id], description: null })) },
      errors: [
        { message: 'descriptions are being migrated', path: ['_entities', 1, 'description'], extensions: { code: 'SERVICE_UNAVAILABLE' } },
      ],
    }));

    const result = await planner.executeEvent(
      planned,
      {
        data: {
          orderStatusChanged: {
            status: 'PLACED',
            items: [
              { quantity: 1, product: { __typename: 'Product', id: 'p1' } },
              { quantity: 2, product: { __typename: 'Product', id: 'p2' } },
            ],
          },
        },
      },
      { id: 'o1' },
      {},
      { catalog: catalog.source },
    );

    expect(catalog.requests).toHaveLength(1);
    expect(result.data).toEqual({
      orderStatusChanged: {
        status: 'PLACED',
        items: [
          { quantity: 1, product: { name: 'Handloom Cotton Kurta', description: null } },
          { quantity: 2, product: { name: 'Masala Chai 250g', description: null } },
        ],
      },
    });
    expect(result.errors).toHaveLength(1);
    const [error] = result.errors!;
    expect(error.message).toBe('descriptions are being migrated');
    expect(error.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(error.path).toEqual(['orderStatusChanged', 'items', 1, 'product', 'description']);
  });

  it('reports a refused entity fetch with its code at the user, which alone is null (Order.user is nullable)', async () => {
    const planned = planOf(ORDER_STATUS);
    const { catalog } = healthySubgraphs();
    const users = subgraph((variables) => ({
      data: { _entities: representationsOf(variables).map(() => null) },
      errors: [{ message: 'Not allowed to see this user', path: ['_entities', 0], extensions: { code: 'FORBIDDEN' } }],
    }));

    const result = await planner.executeEvent(
      planned,
      orderEvent('SHIPPED', 'u1', [['p1', 1]]),
      { id: 'o1' },
      {},
      { users: users.source, catalog: catalog.source },
    );

    expect(users.requests).toHaveLength(1);
    const forbidden = result.errors?.find((e) => e.message === 'Not allowed to see this user');
    expect(forbidden?.extensions?.code).toBe('FORBIDDEN');
    expect(forbidden?.path).toEqual(['orderStatusChanged', 'user']);
    // Order.user crosses into the users subgraph and is nullable: the rest of the order stays.
    expect(result.data).toEqual({
      orderStatusChanged: { id: 'o1', status: 'SHIPPED', user: null, items: [{ quantity: 1, product: { name: 'Handloom Cotton Kurta' } }] },
    });
  });

  it('reports an error the event itself carried, with its code', async () => {
    const planned = planOf('subscription { productUpdated(id: "p1") { id description } }');
    const result = await planner.executeEvent(
      planned,
      {
        data: { productUpdated: { id: 'p1', description: null } },
        errors: [
          new GraphQLError('description store down', {
            path: ['productUpdated', 'description'],
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          }),
        ],
      },
      {},
      {},
      {},
    );
    expect(result.data).toEqual({ productUpdated: { id: 'p1', description: null } });
    expect(result.errors).toHaveLength(1);
    expect(result.errors![0].message).toBe('description store down');
    expect(result.errors![0].extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(result.errors![0].path).toEqual(['productUpdated', 'description']);
    // Named after the subgraph that owns the root field, never the internal event source.
    expect(result.errors![0].extensions?.serviceName).toBe('catalog');
  });

  it('reports a data source that fails outright as an error instead of throwing', async () => {
    const planned = planOf(ORDER_STATUS);
    const { users } = healthySubgraphs();
    const catalog = subgraph(() => {
      throw new GraphQLError('catalog unreachable', { extensions: { code: 'SERVICE_UNAVAILABLE' } });
    });

    const result = await planner.executeEvent(
      planned,
      orderEvent('SHIPPED', 'u1', [['p1', 1]]),
      { id: 'o1' },
      {},
      { users: users.source, catalog: catalog.source },
    );

    expect(catalog.requests).toHaveLength(1);
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.errors!.some((e) => e.message === 'catalog unreachable' && e.extensions?.code === 'SERVICE_UNAVAILABLE')).toBe(true);
  });
});
