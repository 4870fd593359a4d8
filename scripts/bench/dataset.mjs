// The benchmark's fixed data set, written straight into the subgraphs' collections with the
// MongoDB driver in a few bulk inserts (seconds, where the GraphQL seed would take minutes), in the
// shapes their mongoose models read (subgraphs/*/src/model.ts). Same counts every run, so runs compare.
import { MongoClient, ObjectId } from 'mongodb';

export const CATEGORIES = ['Fashion', 'Electronics', 'Home', 'Grocery', 'Books', 'Beauty', 'Sports', 'Toys', 'Kitchen', 'Garden'];
// Smaller than a shop's: the local FerretDB scans a collection for every filter but a single _id, so
// 5,000 orders made each customer's page take seconds and measured nothing but the scan (the
// machine shared with two builds made it worse). BENCH_PRODUCTS, BENCH_USERS, BENCH_ORDERS change it.
export const COUNTS = {
  products: Number(process.env.BENCH_PRODUCTS ?? 400),
  users: Number(process.env.BENCH_USERS ?? 100),
  orders: Number(process.env.BENCH_ORDERS ?? 600),
};
/** Users with more orders than the largest page (100), so scenario 3 can be asked at page sizes 10 and 100. */
export const HEAVY_USERS = 3;
const HEAVY_USER_ORDERS = 110;
const STATUSES = ['PLACED', 'CONFIRMED', 'SHIPPED', 'DELIVERED'];
/** The i-th product's price: spread out, and known without reading the product back. */
const pricePaise = (i) => 1_000 + ((i * 7919) % 500_000);

/** Inserts the data set into the (empty) database of `uri`; returns the ids the scenarios need. */
export async function seedDataset(uri) {
  const client = await MongoClient.connect(uri);
  try {
    const db = client.db();
    const base = Date.UTC(2026, 0, 1);
    const at = (n) => new Date(base + n * 60_000);

    const products = Array.from({ length: COUNTS.products }, (_, i) => ({
      _id: new ObjectId(),
      sku: `BENCH-${String(i).padStart(5, '0')}`,
      name: `Bench product ${i}`,
      description: `Product ${i} of the benchmark catalogue.`,
      category: CATEGORIES[i % CATEGORIES.length],
      pricePaise: pricePaise(i),
      // Enough that placeOrder measures placing an order, not running out of stock.
      stock: 10_000_000,
      ledger: [],
      version: 0,
      createdAt: at(i),
      updatedAt: at(i),
    }));
    const users = Array.from({ length: COUNTS.users }, (_, i) => ({
      _id: new ObjectId(),
      name: `Bench User ${i}`,
      email: `bench-user-${i}@bench.example`,
      phone: null,
      city: 'Pune',
      role: 'CUSTOMER',
      // Nobody logs in: the bench mints access tokens with the users' signing key instead.
      passwordHash: 'bench-no-login',
      createdAt: at(i),
      updatedAt: at(i),
    }));
    // Heavy users first, then the rest spread evenly over the others.
    const owners = [];
    for (let u = 0; u < HEAVY_USERS; u++) for (let n = 0; n < HEAVY_USER_ORDERS; n++) owners.push(u);
    for (let n = 0; owners.length < COUNTS.orders; n++) owners.push(HEAVY_USERS + (n % (COUNTS.users - HEAVY_USERS)));
    const orders = owners.map((u, i) => {
      const items = Array.from({ length: 1 + (i % 3) }, (_, line) => {
        const product = products[(i * 31 + line * 97) % products.length];
        return { productId: product._id, quantity: 1 + ((i + line) % 3), unitPricePaise: product.pricePaise };
      });
      return {
        _id: new ObjectId(),
        userId: users[u]._id,
        items,
        totalPaise: items.reduce((sum, l) => sum + l.quantity * l.unitPricePaise, 0),
        status: STATUSES[i % STATUSES.length],
        idempotencyKey: `bench-seed-${i}`,
        requestHash: 'bench-seed',
        version: 0,
        createdAt: at(i),
        updatedAt: at(i),
      };
    });
    await db.collection('products').insertMany(products, { ordered: false });
    await db.collection('users').insertMany(users, { ordered: false });
    await db.collection('orders').insertMany(orders, { ordered: false });
    return {
      productIds: products.map((p) => p._id.toHexString()),
      userIds: users.map((u) => u._id.toHexString()),
    };
  } finally {
    await client.close();
  }
}

/**
 * Inserts `count` PLACED orders in the shape placeOrder stores (one line each, name and GST rate
 * kept), owned by `userIds` in turn, for the jobs phase to confirm: placing 200 through the gateway
 * takes minutes on the local database. No stock is reserved and no per-customer slot taken for
 * them; confirming and invoicing an order looks at neither. Returns their ids.
 */
export async function insertPlacedOrders(uri, { userIds, productIds, count, keyPrefix }) {
  const client = await MongoClient.connect(uri);
  try {
    const now = new Date();
    const orders = Array.from({ length: count }, (_, i) => {
      const p = (i * 13) % productIds.length;
      return {
        _id: new ObjectId(),
        userId: ObjectId.createFromHexString(userIds[i % userIds.length]),
        items: [
          {
            productId: ObjectId.createFromHexString(productIds[p]),
            quantity: 1,
            unitPricePaise: pricePaise(p),
            productName: `Bench product ${p}`,
            gstRatePercent: 18,
          },
        ],
        totalPaise: pricePaise(p),
        status: 'PLACED',
        idempotencyKey: `${keyPrefix}-${i}`,
        requestHash: 'bench-placed',
        version: 0,
        createdAt: now,
        updatedAt: now,
      };
    });
    await client.db().collection('orders').insertMany(orders, { ordered: false });
    return orders.map((o) => o._id.toHexString());
  } finally {
    await client.close();
  }
}
