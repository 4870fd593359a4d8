import { beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import {
  adminToken,
  createProduct,
  errorCodes,
  gql,
  gqlAsGateway,
  gqlOk,
  PLACE_ORDER,
  productStock,
  signUpCustomer,
  unique,
} from './helpers.js';

let admin: string;
beforeAll(async () => {
  admin = await adminToken();
});

describe('health and readiness', () => {
  it('every service answers /health and /ready; subgraphs check their database (not Redis: no query or write waits on it), the gateway needs neither', async () => {
    const urls = [inject('gatewayUrl'), ...Object.values(inject('subgraphUrls'))];
    for (const url of urls) {
      const health = await fetch(new URL('/health', url));
      expect(health.status).toBe(200);
      const ready = await fetch(new URL('/ready', url));
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as any;
      expect(body.status).toBe('ready');
    }
    const gatewayHealth = (await (await fetch(new URL('/health', inject('gatewayUrl')))).json()) as any;
    expect(gatewayHealth.redis).toBe('ok');
    for (const url of Object.values(inject('subgraphUrls'))) {
      const subgraphReady = (await (await fetch(new URL('/ready', url))).json()) as any;
      expect(subgraphReady.checks.map((c: { name: string }) => c.name)).toEqual(['mongodb']);
      // Redis is reported where it is used, as a degradation rather than unreadiness.
      expect(((await (await fetch(new URL('/health', url))).json()) as any).redis).toBe('ok');
    }
  });
});

describe('accounts', () => {
  it('signs up, logs in and reads itself back through the gateway', async () => {
    const email = `${unique('asha')}@test.bharatmart.in`;
    const signUp = await gqlOk(
      'mutation($input: SignUpInput!) { signUp(input: $input) { token user { id name email phone city role createdAt } } }',
      { input: { name: 'Asha Verma', email: email.toUpperCase(), password: 'saffron-rice-9', phone: '98765 43210', city: 'Jaipur' } },
    );
    expect(signUp.signUp.user).toMatchObject({ name: 'Asha Verma', email, phone: '+919876543210', city: 'Jaipur', role: 'CUSTOMER' });
    expect(new Date(signUp.signUp.user.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // The token is a JWT whose subject is the user id.
    const claims = JSON.parse(Buffer.from(signUp.signUp.token.split('.')[1], 'base64url').toString());
    expect(claims).toMatchObject({ sub: signUp.signUp.user.id, role: 'CUSTOMER' });
    expect(claims.exp).toBeGreaterThan(claims.iat);

    const logIn = await gqlOk('mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token user { id } } }', {
      e: email,
      p: 'saffron-rice-9',
    });
    expect(logIn.logIn.user.id).toBe(signUp.signUp.user.id);
    const me = await gqlOk('{ me { id email } }', {}, logIn.logIn.token);
    expect(me.me).toEqual({ id: signUp.signUp.user.id, email });
  });

  it('refuses a second account with the same email (CONFLICT) and a wrong password (UNAUTHENTICATED)', async () => {
    const customer = await signUpCustomer();
    const again = await gql('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { name: 'Copy', email: customer.email, password: 'another-pass-1' },
    });
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(again.errors![0].message).toMatch(/email/);

    const wrong = await gql('mutation { logIn(email: "' + customer.email + '", password: "not-the-password") { token } }');
    expect(errorCodes(wrong)).toEqual(['UNAUTHENTICATED']);
    const unknown = await gql('mutation { logIn(email: "nobody@test.bharatmart.in", password: "whatever-123") { token } }');
    expect(unknown.errors![0].message).toBe(wrong.errors![0].message);
  });

  it('names the offending field for bad sign-up input', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ name: 'A', email: 'not-an-email', password: 'long-enough-1' }, /^email:/],
      [{ name: 'A', email: `${unique('p')}@t.in`, password: 'short' }, /^password:/],
      [{ name: 'A', email: `${unique('p')}@t.in`, password: 'long-enough-1', phone: '12345' }, /^phone:/],
      [{ name: '  ', email: `${unique('p')}@t.in`, password: 'long-enough-1' }, /^name:/],
    ];
    for (const [input, message] of cases) {
      const result = await gql('mutation($input: SignUpInput!) { signUp(input: $input) { token } }', { input });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].message).toMatch(message);
    }
  });

  it('lets admins list users with paging, and nobody else', async () => {
    await signUpCustomer();
    await signUpCustomer();
    const page1 = await gqlOk(
      '{ users(first: 2) { totalCount edges { cursor node { id role } } pageInfo { hasNextPage endCursor } } }',
      {},
      admin,
    );
    expect(page1.users.edges).toHaveLength(2);
    expect(page1.users.totalCount).toBeGreaterThanOrEqual(3);
    expect(page1.users.pageInfo).toEqual({ hasNextPage: true, endCursor: page1.users.edges[1].cursor });
    const page2 = await gqlOk(
      'query($a: String) { users(first: 2, after: $a) { edges { node { id } } } }',
      { a: page1.users.pageInfo.endCursor },
      admin,
    );
    const ids1 = page1.users.edges.map((e: any) => e.node.id);
    for (const edge of page2.users.edges) expect(ids1).not.toContain(edge.node.id);

    const customer = await signUpCustomer();
    expect(errorCodes(await gql('{ users { totalCount } }', {}, customer.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql('{ users { totalCount } }'))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql('{ users { totalCount } }', {}, 'not-a-jwt'))).toEqual(['UNAUTHENTICATED']);
  });

  it('never hands out contact details to others, even in entity fetches the gateway signed', async () => {
    const victim = await signUpCustomer({ phone: '9811122233' });
    const entities = 'query($r: [_Any!]!) { _entities(representations: $r) { ... on User { name email phone } } }';
    const other = await signUpCustomer();
    const anonymous = await gqlAsGateway('users', entities, { r: [{ __typename: 'User', id: victim.user.id }] });
    const stranger = await gqlAsGateway('users', entities, { r: [{ __typename: 'User', id: victim.user.id }] }, other.token);
    expect(new Set(errorCodes(anonymous))).toEqual(new Set(['UNAUTHENTICATED']));
    expect(new Set(errorCodes(stranger))).toEqual(new Set(['FORBIDDEN']));
    for (const result of [anonymous, stranger]) {
      expect(JSON.stringify(result)).not.toContain(victim.email);
      expect(JSON.stringify(result)).not.toContain('9811122233');
    }
    const own = await gqlAsGateway('users', entities, { r: [{ __typename: 'User', id: victim.user.id }] }, victim.token);
    expect(own.data._entities[0]).toMatchObject({ email: victim.email, phone: '+919811122233' });
  });

  it('answers `me` with a bad or expired token with UNAUTHENTICATED, and with null only without a token', async () => {
    expect((await gqlOk('{ me { id } }')).me).toBeNull();
    const bad = await gql('{ me { id } }', {}, 'garbage.token.here');
    expect(errorCodes(bad)).toEqual(['UNAUTHENTICATED']);
    expect(bad.errors![0].message).toMatch(/token/);
  });

  it('shows a user to themselves and to admins only', async () => {
    const a = await signUpCustomer();
    const b = await signUpCustomer();
    const query = 'query($id: ID!) { user(id: $id) { id email } }';
    expect((await gqlOk(query, { id: a.user.id }, a.token)).user.id).toBe(a.user.id);
    expect((await gqlOk(query, { id: a.user.id }, admin)).user.email).toBe(a.email);
    const denied = await gql(query, { id: a.user.id }, b.token);
    expect(errorCodes(denied)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(denied)).not.toContain(a.email);
    expect(errorCodes(await gql(query, { id: 'abc' }, admin))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('catalog', () => {
  it('lets admins create, update and restock products; customers and anonymous callers are refused', async () => {
    const product = await createProduct(admin, { pricePaise: 129900, stock: 3 });
    const updated = await gqlOk(
      'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { name pricePaise formattedPrice updatedAt } }',
      { id: product.id, input: { name: 'Brass Thali Set', pricePaise: 12999900 } },
      admin,
    );
    expect(updated.updateProduct).toMatchObject({ name: 'Brass Thali Set', pricePaise: 12999900, formattedPrice: '₹1,29,999.00' });
    const restocked = await gqlOk('mutation($id: ID!) { restock(id: $id, quantity: 7) { stock } }', { id: product.id }, admin);
    expect(restocked.restock.stock).toBe(10);

    const customer = await signUpCustomer();
    const create = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';
    const input = { sku: unique('X'), name: 'Nope', category: 'Test', pricePaise: 100, stock: 1 };
    expect(errorCodes(await gql(create, { input }, customer.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(create, { input }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await gql(create, { input: { ...input, sku: product.sku } }, admin))).toEqual(['CONFLICT']);
    expect(errorCodes(await gql(create, { input: { ...input, pricePaise: -5 } }, admin))).toEqual(['BAD_USER_INPUT']);
    const negativeRestock = await gql('mutation($id: ID!) { restock(id: $id, quantity: -1) { stock } }', { id: product.id }, admin);
    expect(errorCodes(negativeRestock)).toEqual(['BAD_USER_INPUT']);
    expect(negativeRestock.errors![0].message).toMatch(/^quantity:/);
  });

  it('pages, filters by category and searches by name', async () => {
    const category = unique('Cat');
    for (const name of ['Masala Chai Tin', 'Filter Coffee Jar', 'Chai Glass Set']) await createProduct(admin, { name, category });
    const all = await gqlOk(
      'query($c: String) { products(category: $c, first: 2) { totalCount edges { node { name category } } pageInfo { hasNextPage endCursor } } }',
      { c: category },
    );
    expect(all.products.totalCount).toBe(3);
    expect(all.products.edges.map((e: any) => e.node.name)).toEqual(['Masala Chai Tin', 'Filter Coffee Jar']);
    expect(all.products.pageInfo.hasNextPage).toBe(true);
    const rest = await gqlOk(
      'query($c: String, $a: String) { products(category: $c, first: 2, after: $a) { edges { node { name } } pageInfo { hasNextPage } } }',
      {
        c: category,
        a: all.products.pageInfo.endCursor,
      },
    );
    expect(rest.products.edges.map((e: any) => e.node.name)).toEqual(['Chai Glass Set']);
    expect(rest.products.pageInfo.hasNextPage).toBe(false);

    const search = await gqlOk('query($c: String) { products(category: $c, search: "cHaI") { totalCount edges { node { name } } } }', {
      c: category,
    });
    expect(search.products.edges.map((e: any) => e.node.name).sort()).toEqual(['Chai Glass Set', 'Masala Chai Tin']);
    // Regex characters in a search are matched literally, not interpreted.
    const literal = await gqlOk('query($c: String) { products(category: $c, search: ".*") { totalCount } }', { c: category });
    expect(literal.products.totalCount).toBe(0);
  });

  it('rejects absurd page sizes and foreign cursors with BAD_USER_INPUT', async () => {
    for (const [query, field] of [
      ['{ products(first: 101) { totalCount } }', 'first'],
      ['{ products(first: -1) { totalCount } }', 'first'],
      ['{ products(after: "bm9wZQ") { totalCount } }', 'after'],
    ]) {
      const result = await gql(query);
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].message.startsWith(`${field}:`)).toBe(true);
    }
    const huge = await gql('{ products(first: 99999999999) { totalCount } }');
    expect(errorCodes(huge)).toEqual(['BAD_USER_INPUT']);
  });

  it('returns null for an unknown product and BAD_USER_INPUT for a malformed id', async () => {
    expect((await gqlOk('{ product(id: "6b0a00000000000000000000") { id } }')).product).toBeNull();
    const malformed = await gql('{ product(id: "not-an-id") { id } }');
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(malformed.status).toBe(200);
  });
});

describe('orders across all three subgraphs', () => {
  it('places an order at the catalog price and reads it back with user and product fields', async () => {
    const kurta = await createProduct(admin, { name: 'Indigo Kurta', pricePaise: 129900, stock: 5 });
    const chai = await createProduct(admin, { name: 'Assam Chai', pricePaise: 49900, stock: 5 });
    const customer = await signUpCustomer({ name: 'Meera Nair' });
    const placed = await gqlOk(
      PLACE_ORDER,
      {
        input: {
          items: [
            { productId: kurta.id, quantity: 1 },
            { productId: chai.id, quantity: 2 },
            { productId: kurta.id, quantity: 1 },
          ],
        },
      },
      customer.token,
    );
    expect(placed.placeOrder.status).toBe('PLACED');
    expect(placed.placeOrder.totalPaise).toBe(2 * 129900 + 2 * 49900);

    // A later price change does not touch the order's unit prices.
    await gqlOk('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 1 }) { id } }', { id: kurta.id }, admin);

    const read = await gqlOk(
      `query($id: ID!) { order(id: $id) {
        id status totalPaise createdAt updatedAt
        user { id name email orders(first: 5) { totalCount edges { node { id } } } }
        items { quantity unitPricePaise product { id name pricePaise stock } }
      } }`,
      { id: placed.placeOrder.id },
      customer.token,
    );
    const order = read.order;
    expect(order.user).toMatchObject({ id: customer.user.id, name: 'Meera Nair', email: customer.email });
    expect(order.user.orders.totalCount).toBe(1);
    expect(order.user.orders.edges[0].node.id).toBe(order.id);
    const byName = Object.fromEntries(order.items.map((i: any) => [i.product.name, i]));
    expect(byName['Indigo Kurta']).toMatchObject({ quantity: 2, unitPricePaise: 129900, product: { pricePaise: 1, stock: 3 } });
    expect(byName['Assam Chai']).toMatchObject({ quantity: 2, unitPricePaise: 49900, product: { stock: 3 } });
  });

  it("pages a user's orders newest first", async () => {
    const product = await createProduct(admin, { stock: 10 });
    const customer = await signUpCustomer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token)).placeOrder.id);
    }
    const page1 = await gqlOk(
      '{ me { orders(first: 2) { totalCount edges { node { id } } pageInfo { hasNextPage endCursor } } } }',
      {},
      customer.token,
    );
    expect(page1.me.orders.totalCount).toBe(3);
    expect(page1.me.orders.edges.map((e: any) => e.node.id)).toEqual([ids[2], ids[1]]);
    const page2 = await gqlOk(
      'query($a: String) { me { orders(first: 2, after: $a) { edges { node { id } } pageInfo { hasNextPage } } } }',
      {
        a: page1.me.orders.pageInfo.endCursor,
      },
      customer.token,
    );
    expect(page2.me.orders.edges.map((e: any) => e.node.id)).toEqual([ids[0]]);
    expect(page2.me.orders.pageInfo.hasNextPage).toBe(false);
  });

  it('enforces who may read orders', async () => {
    const product = await createProduct(admin);
    const owner = await signUpCustomer();
    const other = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, owner.token);
    const query = 'query($id: ID!) { order(id: $id) { id user { email } } }';
    expect(errorCodes(await gql(query, { id: placeOrder.id }, other.token))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await gql(query, { id: placeOrder.id }))).toEqual(['UNAUTHENTICATED']);
    expect((await gqlOk(query, { id: placeOrder.id }, admin)).order.user.email).toBe(owner.email);
    // Another customer's order list is not readable through the user entity either.
    const viaUser = await gql('query($id: ID!) { user(id: $id) { orders { totalCount } } }', { id: owner.user.id }, admin);
    expect(viaUser.data.user.orders.totalCount).toBe(1);
    expect(errorCodes(await gql(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }))).toEqual(['UNAUTHENTICATED']);
  });

  it('rejects bad order input with BAD_USER_INPUT naming the field', async () => {
    const product = await createProduct(admin);
    const customer = await signUpCustomer();
    const cases: [unknown, RegExp][] = [
      [{ items: [] }, /^items:/],
      [{ items: [{ productId: product.id, quantity: -2 }] }, /^items\[0\]\.quantity:/],
      [{ items: [{ productId: product.id, quantity: 0 }] }, /^items\[0\]\.quantity:/],
      [{ items: [{ productId: 'xyz', quantity: 1 }] }, /^items\[0\]\.productId:/],
      [{ items: [{ productId: product.id, quantity: 1 }], idempotencyKey: '' }, /^idempotencyKey:/],
    ];
    for (const [input, message] of cases) {
      const result = await gql(PLACE_ORDER, { input }, customer.token);
      expect(errorCodes(result), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].message).toMatch(message);
    }
    const unknownProduct = await gql(
      PLACE_ORDER,
      { input: { items: [{ productId: '6b0a00000000000000000000', quantity: 1 }] } },
      customer.token,
    );
    expect(errorCodes(unknownProduct)).toEqual(['NOT_FOUND']);
    expect(await productStock(product.id)).toBe(10);
  });

  it('reserves nothing when any line is out of stock', async () => {
    const plenty = await createProduct(admin, { stock: 10 });
    const scarce = await createProduct(admin, { stock: 1 });
    const customer = await signUpCustomer();
    const result = await gql(
      PLACE_ORDER,
      {
        input: {
          items: [
            { productId: plenty.id, quantity: 4 },
            { productId: scarce.id, quantity: 2 },
          ],
        },
      },
      customer.token,
    );
    expect(errorCodes(result)).toEqual(['OUT_OF_STOCK']);
    expect(result.errors![0].message).toMatch(/left/);
    expect(await productStock(plenty.id)).toBe(10);
    expect(await productStock(scarce.id)).toBe(1);
    const me = await gqlOk('{ me { orders { totalCount } } }', {}, customer.token);
    expect(me.me.orders.totalCount).toBe(0);
  });
});

describe('order status and cancellation', () => {
  const UPDATE = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id status } }';
  const CANCEL = 'mutation($id: ID!) { cancelOrder(id: $id) { id status } }';

  async function newOrder(quantity = 2) {
    const product = await createProduct(admin, { stock: 5 });
    const customer = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity }] } }, customer.token);
    return { product, customer, orderId: placeOrder.id as string };
  }

  it('moves forward only, and only for admins', async () => {
    const { customer, orderId } = await newOrder();
    expect(errorCodes(await gql(UPDATE, { id: orderId, s: 'CONFIRMED' }, customer.token))).toEqual(['FORBIDDEN']);
    expect((await gqlOk(UPDATE, { id: orderId, s: 'CONFIRMED' }, admin)).updateOrderStatus.status).toBe('CONFIRMED');
    expect((await gqlOk(UPDATE, { id: orderId, s: 'SHIPPED' }, admin)).updateOrderStatus.status).toBe('SHIPPED');
    const back = await gql(UPDATE, { id: orderId, s: 'CONFIRMED' }, admin);
    expect(errorCodes(back)).toEqual(['BAD_USER_INPUT']);
    expect(back.errors![0].message).toMatch(/SHIPPED to CONFIRMED/);
    expect(errorCodes(await gql(UPDATE, { id: orderId, s: 'CANCELLED' }, admin))).toEqual(['BAD_USER_INPUT']);
    expect((await gqlOk(UPDATE, { id: orderId, s: 'DELIVERED' }, admin)).updateOrderStatus.status).toBe('DELIVERED');
    expect(errorCodes(await gql(UPDATE, { id: '6b0a00000000000000000000', s: 'SHIPPED' }, admin))).toEqual(['NOT_FOUND']);
  });

  it('answers an unknown status with BAD_USER_INPUT, as a literal or a variable', async () => {
    const { orderId } = await newOrder();
    const literal = await gql(`mutation { updateOrderStatus(id: "${orderId}", status: LOST) { id } }`, {}, admin);
    expect(errorCodes(literal)).toEqual(['BAD_USER_INPUT']);
    const variable = await gql(UPDATE, { id: orderId, s: 'LOST' }, admin);
    expect(errorCodes(variable)).toEqual(['BAD_USER_INPUT']);
  });

  it('cancels before shipping and returns the stock; refuses after shipping', async () => {
    const { product, customer, orderId } = await newOrder(2);
    expect(await productStock(product.id)).toBe(3);
    const stranger = await signUpCustomer();
    expect(errorCodes(await gql(CANCEL, { id: orderId }, stranger.token))).toEqual(['FORBIDDEN']);
    expect((await gqlOk(CANCEL, { id: orderId }, customer.token)).cancelOrder.status).toBe('CANCELLED');
    expect(await productStock(product.id)).toBe(5);
    // Cancelling again neither fails nor returns the stock twice.
    const again = await gql(CANCEL, { id: orderId }, customer.token);
    expect(errorCodes(again)).toEqual(['CONFLICT']);
    expect(await productStock(product.id)).toBe(5);

    const shipped = await newOrder(1);
    await gqlOk(UPDATE, { id: shipped.orderId, s: 'SHIPPED' }, admin);
    expect(errorCodes(await gql(CANCEL, { id: shipped.orderId }, admin))).toEqual(['CONFLICT']);
    expect(await productStock(shipped.product.id)).toBe(4);
  });
});

describe('the gateway as a client sees it', () => {
  it('serves Apollo Sandbox to browsers and introspection in development', async () => {
    const page = await fetch(inject('gatewayUrl'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/sandbox/i);
    const schema = await gqlOk('{ __schema { mutationType { fields { name } } } }');
    const names = schema.__schema.mutationType.fields.map((f: { name: string }) => f.name);
    expect(names).toEqual(expect.arrayContaining(['signUp', 'placeOrder', 'createProduct']));
    expect(names).not.toContain('reserveStock');
  });

  it('hides the internal stock mutations from clients', async () => {
    const result = await gql('mutation { releaseStock(orderId: "6b0a00000000000000000000", lines: []) }', {}, admin);
    expect(errorCodes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('answers CORS preflights from browsers', async () => {
    const response = await fetch(inject('gatewayUrl'), {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:5173',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBeTruthy();
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/);
  });

  it('never sends stack traces, and masks unexpected failures', async () => {
    const results = [
      await gql('{ product(id: "bad") { id } }'),
      await gql('{ nope }'),
      await gql('{ products(first: 1000) { totalCount } }'),
    ];
    for (const result of results) {
      expect(result.errors?.length).toBeGreaterThan(0);
      const text = JSON.stringify(result);
      expect(text).not.toMatch(/stacktrace|at .*\.(js|ts):\d+/);
    }
  });

  it('answers malformed JSON with 400, not 500', async () => {
    const response = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});
