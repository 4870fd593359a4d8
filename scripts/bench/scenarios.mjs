// The four scenarios of `npm run bench`, each as an identical-request variant (every client sends
// the same request: what in-flight dedup and response caches are for) and a varied one (what they
// cannot help with), with a check of what comes back.
import { CATEGORIES, HEAVY_USERS } from './dataset.mjs';

const LISTING = `query Home($first: Int, $category: String) {
  products(first: $first, category: $category) {
    totalCount
    edges { cursor node { id name formattedPrice stock category } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const PRODUCT = 'query Product($id: ID!) { product(id: $id) { id name description formattedPrice stock category } }';
export const MY_ORDERS = `query MyOrders($first: Int) {
  me {
    id
    name
    orders(first: $first) {
      totalCount
      edges { node { id status totalPaise createdAt items { quantity unitPricePaise product { id name formattedPrice } } } }
    }
  }
}`;
const PLACE_ORDER = 'mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { id status totalPaise } }';

const listingOk = (d) => Array.isArray(d?.products?.edges) && d.products.edges.length > 0 && d.products.edges.every((e) => e.node?.id);
const productOk = (d) => typeof d?.product?.id === 'string' && typeof d.product.formattedPrice === 'string';
const ordersOk = (d) =>
  typeof d?.me?.id === 'string' &&
  Array.isArray(d.me.orders?.edges) &&
  d.me.orders.edges.every((e) => e.node.items.length > 0 && e.node.items.every((i) => typeof i.product?.name === 'string'));
const placedOk = (d) => typeof d?.placeOrder?.id === 'string' && d.placeOrder.status === 'PLACED';

/**
 * @param {{ productIds: string[], tokens: string[] }} data tokens[i] is the access token of the i-th user
 * @returns {Array<{ key: string, scenario: number, title: string, variant: 'identical' | 'varied',
 *   next: () => { body: string, token?: string }, ok: (data: any) => boolean, direct: boolean }>}
 *   `next` gives the next request; `direct`: the same request can go straight to the catalog (the ceiling)
 */
export function scenarios({ productIds, tokens }) {
  const counter = () => {
    let n = 0;
    return () => n++;
  };
  const body = (query, variables) => JSON.stringify({ query, variables });
  const fixed = (request) => () => request;
  const lightTokens = tokens.slice(HEAVY_USERS);
  const listing = counter();
  const product = counter();
  const orders = counter();
  const placing = counter();
  return [
    {
      key: 's1-identical',
      scenario: 1,
      title: 'home listing products(first: 20), identical',
      variant: 'identical',
      next: fixed({ body: body(LISTING, { first: 20 }) }),
      ok: listingOk,
      direct: true,
    },
    {
      key: 's1-varied',
      scenario: 1,
      title: 'home listing, 10 categories x first 16..25',
      variant: 'varied',
      next: () => {
        const n = listing();
        return {
          body: body(LISTING, { first: 16 + (Math.floor(n / CATEGORIES.length) % 10), category: CATEGORIES[n % CATEGORIES.length] }),
        };
      },
      ok: listingOk,
      direct: true,
    },
    {
      key: 's2-identical',
      scenario: 2,
      title: 'product page product(id), identical',
      variant: 'identical',
      next: fixed({ body: body(PRODUCT, { id: productIds[0] }) }),
      ok: productOk,
      direct: true,
    },
    {
      key: 's2-varied',
      scenario: 2,
      title: 'product page, every product id in turn',
      variant: 'varied',
      next: () => ({ body: body(PRODUCT, { id: productIds[product() % productIds.length] }) }),
      ok: productOk,
      direct: true,
    },
    {
      key: 's3-identical',
      scenario: 3,
      title: "customer's orders me → orders(first: 10) → items → product, one user",
      variant: 'identical',
      next: fixed({ body: body(MY_ORDERS, { first: 10 }), token: tokens[0] }),
      ok: ordersOk,
      direct: false,
    },
    {
      key: 's3-varied',
      scenario: 3,
      title: "customer's orders, every user in turn, each its own token",
      variant: 'varied',
      next: () => ({ body: body(MY_ORDERS, { first: 10 }), token: tokens[orders() % tokens.length] }),
      ok: ordersOk,
      direct: false,
    },
    {
      key: 's4-varied',
      scenario: 4,
      title: 'placeOrder, 2 lines, customers in turn',
      variant: 'varied',
      next: () => {
        const n = placing();
        const items = [
          { productId: productIds[(n * 13) % productIds.length], quantity: 1 },
          { productId: productIds[(n * 13 + 7) % productIds.length], quantity: 1 },
        ];
        // A fresh key per request: each is a new checkout, not a retry.
        const input = { items, idempotencyKey: `bench-${process.pid}-${Date.now()}-${n}` };
        return { body: body(PLACE_ORDER, { input }), token: lightTokens[n % lightTokens.length] };
      },
      ok: placedOk,
      direct: false,
    },
  ];
}
