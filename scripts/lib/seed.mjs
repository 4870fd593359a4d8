// Seeds demo data through the gateway's public API, so each subgraph writes only
// its own collection, exactly as in production. Does nothing if products exist.
import { graphqlData } from './graphql-http.mjs';
import { demoCustomers, demoProducts, DEMO_CUSTOMER_PASSWORD } from './seed-data.mjs';

/** The data of one request that must succeed (throws `CODE: message` otherwise). */
const gql = (url, query, variables = {}, token) => graphqlData(url, query, variables, { token });

export async function seedIfEmpty(gatewayUrl, admin, log = console.log) {
  const { products } = await gql(gatewayUrl, '{ products(first: 1) { totalCount } }');
  if (products.totalCount > 0) {
    log(`database already has ${products.totalCount} products; not seeding`);
    return false;
  }
  const { logIn } = await gql(gatewayUrl, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { token } }', {
    e: admin.email,
    p: admin.password,
  });
  const adminToken = logIn.token;
  const ids = [];
  for (const input of demoProducts) {
    const data = await gql(
      gatewayUrl,
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input },
      adminToken,
    );
    ids.push(data.createProduct.id);
  }
  const statuses = ['CONFIRMED', 'SHIPPED', 'DELIVERED'];
  for (const [index, customer] of demoCustomers.entries()) {
    const { signUp } = await gql(gatewayUrl, 'mutation($input: SignUpInput!) { signUp(input: $input) { token } }', {
      input: { ...customer, password: DEMO_CUSTOMER_PASSWORD },
    });
    for (let n = 0; n < 2; n++) {
      const items = [
        { productId: ids[(index * 7 + n * 3) % ids.length], quantity: 1 + n },
        { productId: ids[(index * 11 + n * 5 + 20) % ids.length], quantity: 1 },
      ];
      const { placeOrder } = await gql(
        gatewayUrl,
        'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }',
        { input: { items, idempotencyKey: `seed-${index}-${n}` } },
        signUp.token,
      );
      const target = statuses[(index + n) % statuses.length];
      await gql(
        gatewayUrl,
        'mutation($id: ID!, $s: OrderStatus!) { updateOrderStatus(id: $id, status: $s) { id } }',
        { id: placeOrder.id, s: target },
        adminToken,
      );
    }
  }
  log(`seeded ${ids.length} products and ${demoCustomers.length} customers with ${demoCustomers.length * 2} orders`);
  return true;
}
