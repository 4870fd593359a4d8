import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { adminToken, createProduct, gqlOk, mintAccessToken, PLACE_ORDER, signUpCustomer } from './helpers.js';
import WebSocket from 'ws';
import { createClient } from 'graphql-ws';
import { collect, quiescent, redisChannel, settle, wsClient, wsUrl } from './ws-helpers.js';

let admin: string;
beforeAll(async () => {
  admin = await adminToken();
});
// Every client below disposes of its subscriptions; none may outlive the file.
afterAll(() => quiescent());

const STATUS = `subscription($id: ID!) {
  orderStatusChanged(id: $id) {
    id status totalPaise
    user { name email }
    items { quantity product { name pricePaise } }
  }
}`;
const UPDATE = 'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id } }';

describe('federated subscriptions through the gateway', () => {
  it('delivers order status changes in order, with user and product fields from the other subgraphs', async () => {
    const product = await createProduct(admin, { name: 'Pashmina Shawl', pricePaise: 450000, stock: 5 });
    const customer = await signUpCustomer({ name: 'Kavya Rao' });
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 2 }] } }, customer.token);
    const client = wsClient(customer.token);
    try {
      const feed = collect(client, STATUS, { id: placeOrder.id });
      await settle(inject('gatewayUrl'), 1, [redisChannel(`order.status.${placeOrder.id}`)]);
      for (const status of ['CONFIRMED', 'SHIPPED', 'DELIVERED']) await gqlOk(UPDATE, { id: placeOrder.id, s: status }, admin);
      const events = await feed.waitFor(3);
      expect(events.map((e) => e.orderStatusChanged.status)).toEqual(['CONFIRMED', 'SHIPPED', 'DELIVERED']);
      for (const event of events) {
        expect(event.orderStatusChanged).toMatchObject({
          id: placeOrder.id,
          totalPaise: 900000,
          user: { name: 'Kavya Rao', email: customer.email },
          items: [{ quantity: 2, product: { name: 'Pashmina Shawl', pricePaise: 450000 } }],
        });
      }
      expect(feed.errors).toEqual([]);
    } finally {
      await client.dispose();
    }
  });

  it('fires on cancellation too', async () => {
    const product = await createProduct(admin, { stock: 5 });
    const customer = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token);
    const client = wsClient(customer.token);
    try {
      const feed = collect(client, 'subscription($id: ID!) { orderStatusChanged(id: $id) { status } }', { id: placeOrder.id });
      await settle(inject('gatewayUrl'), 1, [redisChannel(`order.status.${placeOrder.id}`)]);
      await gqlOk('mutation($id: ID!) { cancelOrder(id: $id) { id } }', { id: placeOrder.id }, customer.token);
      expect((await feed.waitFor(1))[0].orderStatusChanged.status).toBe('CANCELLED');
    } finally {
      await client.dispose();
    }
  });

  it("refuses another customer's order, an anonymous caller, and non-admins for orderPlaced", async () => {
    const product = await createProduct(admin, { stock: 5 });
    const owner = await signUpCustomer();
    const other = await signUpCustomer();
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, owner.token);
    const clients = [wsClient(other.token), wsClient(), wsClient(owner.token), wsClient('not-a-real-token')];
    try {
      const stolen = collect(clients[0], STATUS, { id: placeOrder.id });
      const anonymous = collect(clients[1], STATUS, { id: placeOrder.id });
      const notAdmin = collect(clients[2], 'subscription { orderPlaced { id } }');
      const badToken = collect(clients[3], STATUS, { id: placeOrder.id });
      await Promise.all([stolen.ended(), anonymous.ended(), notAdmin.ended(), badToken.ended()]);
      const code = (feed: { errors: any[] }) => feed.errors.map((e) => e.extensions?.code);
      expect(code(stolen)).toEqual(['FORBIDDEN']);
      expect(code(anonymous)).toEqual(['UNAUTHENTICATED']);
      expect(code(notAdmin)).toEqual(['FORBIDDEN']);
      expect(code(badToken)).toEqual(['UNAUTHENTICATED']);
      // And no events reach them afterwards. Instead of sleeping and hoping that is long enough, a
      // witness the gateway does let in subscribes to the same order: once the change has reached it,
      // the gateway has handled the event, so any copy wrongly sent to the refused ones went out too.
      const witnessClient = wsClient(owner.token);
      clients.push(witnessClient);
      const witness = collect(witnessClient, STATUS, { id: placeOrder.id });
      await settle(inject('gatewayUrl'), 1, [redisChannel(`order.status.${placeOrder.id}`)]);
      await gqlOk(UPDATE, { id: placeOrder.id, s: 'CONFIRMED' }, admin);
      expect((await witness.waitFor(1))[0].orderStatusChanged.status).toBe('CONFIRMED');
      for (const feed of [stolen, anonymous, badToken]) expect(feed.events).toEqual([]);
    } finally {
      await Promise.all(clients.map((c) => Promise.resolve(c.dispose())));
    }
  });

  it('closes the socket with 4403 when the token it connected with expires', async () => {
    const customer = await signUpCustomer();
    // A token from the project's own token service, as the users subgraph issues it, but valid for two seconds.
    const shortLived = await mintAccessToken({ id: customer.user.id, role: 'CUSTOMER' }, 2);
    const closes: number[] = [];
    const client = createClient({
      url: wsUrl(),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${shortLived}` },
      retryAttempts: 0,
      on: { closed: (event) => closes.push((event as { code: number }).code) },
    });
    try {
      const product = await createProduct(admin);
      const feed = collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', { id: product.id });
      await feed.ended(10_000);
      expect(closes).toContain(4403);
    } finally {
      await client.dispose();
    }
  });

  it('tells admins about every new order through orderPlaced', async () => {
    const product = await createProduct(admin, { name: 'Darjeeling Tea', stock: 5 });
    const customer = await signUpCustomer({ name: 'Rohan Das' });
    const client = wsClient(admin);
    try {
      const feed = collect(client, 'subscription { orderPlaced { id status user { name } items { product { name } } } }');
      await settle(inject('gatewayUrl'), 1, [redisChannel('order.placed')]);
      const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token);
      await feed.waitFor(1);
      const mine = feed.events.find((e) => e.orderPlaced.id === placeOrder.id);
      expect(mine.orderPlaced).toEqual({
        id: placeOrder.id,
        status: 'PLACED',
        user: { name: 'Rohan Das' },
        items: [{ product: { name: 'Darjeeling Tea' } }],
      });
    } finally {
      await client.dispose();
    }
  });

  it('fires productUpdated when an order takes stock and when an admin changes the price', async () => {
    const product = await createProduct(admin, { name: 'Kanjeevaram Saree', pricePaise: 1500000, stock: 4 });
    const customer = await signUpCustomer();
    const client = wsClient();
    try {
      const feed = collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { id name stock pricePaise formattedPrice } }', {
        id: product.id,
      });
      await settle(inject('gatewayUrl'), 1, [redisChannel(`product.updated.${product.id}`)]);
      await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 3 }] } }, customer.token);
      await gqlOk('mutation($id: ID!) { updateProduct(id: $id, input: { pricePaise: 1299900 }) { id } }', { id: product.id }, admin);
      const events = await feed.waitFor(2);
      expect(events[0].productUpdated).toMatchObject({ id: product.id, stock: 1, pricePaise: 1500000 });
      expect(events[1].productUpdated).toMatchObject({ stock: 1, pricePaise: 1299900, formattedPrice: '₹12,999.00' });
    } finally {
      await client.dispose();
    }
  });

  it('answers invalid subscription documents with the same validation errors as queries', async () => {
    const client = wsClient();
    try {
      const unknownField = collect(client, 'subscription { productUpdated(id: "x") { colour } }');
      const unknownRoot = collect(client, 'subscription { nope }');
      const badVariable = collect(client, 'subscription($id: ID!) { productUpdated(id: $id) { id } }', {});
      await Promise.all([unknownField.ended(), unknownRoot.ended(), badVariable.ended()]);
      expect((unknownField.errors[0] as any).extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect((unknownField.errors[0] as any).message).toMatch(/colour/);
      expect((unknownRoot.errors[0] as any).extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect((badVariable.errors[0] as any).extensions.code).toBe('BAD_USER_INPUT');
      const malformedId = collect(client, 'subscription { productUpdated(id: "not-an-id") { id } }');
      const unknownProduct = collect(client, 'subscription { productUpdated(id: "6b0a00000000000000000000") { id } }');
      await Promise.all([malformedId.ended(), unknownProduct.ended()]);
      expect((malformedId.errors[0] as any).extensions.code).toBe('BAD_USER_INPUT');
      expect((unknownProduct.errors[0] as any).extensions.code).toBe('NOT_FOUND');
    } finally {
      await client.dispose();
    }
  });

  it('also runs queries over the socket', async () => {
    await createProduct(admin);
    const client = wsClient();
    try {
      const feed = collect(client, '{ products(first: 1) { totalCount } }');
      await feed.ended();
      expect(feed.completed).toBe(true);
      expect(feed.events[0].products.totalCount).toBeGreaterThan(0);
    } finally {
      await client.dispose();
    }
  });
});

describe('GraphQL over Server-Sent Events on the same path', () => {
  it('answers an invalid subscription over SSE with the same validation error as over WebSocket', async () => {
    const response = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { productUpdated(id: "x") { colour } }' }),
    });
    const text = await response.text();
    const event = text.split('\n').find((line) => line.startsWith('data: {'));
    expect(event, text).toBeDefined();
    const payload = JSON.parse(event!.slice('data: '.length));
    expect(payload.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(payload.errors[0].message).toMatch(/colour/);
  });

  it('ends an event stream with UNAUTHENTICATED when the token it was opened with expires', async () => {
    const { createClient } = await import('graphql-sse');
    const customer = await signUpCustomer();
    const product = await createProduct(admin);
    const shortLived = await mintAccessToken({ id: customer.user.id, role: 'CUSTOMER' }, 2);
    const client = createClient({ url: inject('gatewayUrl'), headers: { authorization: `Bearer ${shortLived}` }, retryAttempts: 0 });
    try {
      const received: any[] = [];
      const ending = await new Promise<string>((resolve) => {
        client.subscribe(
          { query: 'subscription($id: ID!) { productUpdated(id: $id) { stock } }', variables: { id: product.id } },
          { next: (value) => received.push(value), error: () => resolve('error'), complete: () => resolve('complete') },
        );
      });
      expect(ending).toBe('complete');
      expect(received.map((r) => r.errors?.[0]?.extensions?.code)).toEqual(['UNAUTHENTICATED']);
    } finally {
      client.dispose();
    }
  });

  it('refuses an oversized event-stream request with 413 before reading it', async () => {
    const response = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: `subscription { orderPlaced { id } } # ${'x'.repeat(1_100_000)}` }),
    });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('refuses a subscription sent as a plain request with 400, naming the transports to use', async () => {
    const response = await fetch(inject('gatewayUrl'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { orderPlaced { id } }' }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(/WebSocket.*text\/event-stream/);
  });

  it('streams subscription events to clients that cannot use WebSockets, with the token in the Authorization header', async () => {
    const { createClient } = await import('graphql-sse');
    const product = await createProduct(admin, { stock: 5 });
    const customer = await signUpCustomer({ name: 'Ishaan Mehta' });
    const { placeOrder } = await gqlOk(PLACE_ORDER, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token);
    const client = createClient({ url: inject('gatewayUrl'), headers: { authorization: `Bearer ${customer.token}` }, retryAttempts: 0 });
    const stranger = createClient({ url: inject('gatewayUrl'), retryAttempts: 0 });
    try {
      const events: any[] = [];
      const unsubscribes: (() => void)[] = [];
      const done = new Promise<void>((resolve, reject) => {
        unsubscribes[0] = client.subscribe(
          { query: 'subscription($id: ID!) { orderStatusChanged(id: $id) { status user { name } } }', variables: { id: placeOrder.id } },
          { next: (value) => (events.push(value), events.length === 2 && resolve()), error: reject, complete: () => {} },
        );
      });
      const refused = new Promise<any>((resolve) => {
        unsubscribes[1] = stranger.subscribe(
          { query: 'subscription($id: ID!) { orderStatusChanged(id: $id) { status } }', variables: { id: placeOrder.id } },
          { next: (value) => resolve(value), error: resolve, complete: () => {} },
        );
      });
      await settle(inject('gatewayUrl'), 1, [redisChannel(`order.status.${placeOrder.id}`)]);
      await gqlOk(UPDATE, { id: placeOrder.id, s: 'CONFIRMED' }, admin);
      await gqlOk(UPDATE, { id: placeOrder.id, s: 'SHIPPED' }, admin);
      await done;
      expect(events.map((e) => e.data.orderStatusChanged)).toEqual([
        { status: 'CONFIRMED', user: { name: 'Ishaan Mehta' } },
        { status: 'SHIPPED', user: { name: 'Ishaan Mehta' } },
      ]);
      const refusal = await refused;
      expect(refusal.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      // Leaving is done by unsubscribing: that ends the HTTP stream, and the server lets go.
      unsubscribes.forEach((unsubscribe) => unsubscribe());
    } finally {
      client.dispose();
      stranger.dispose();
    }
  });
});
