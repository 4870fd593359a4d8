import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { Connection } from 'mongoose';
import { createLogger } from '@supergraph/runtime';
import { AccessTokenIssuer, AccessTokenVerifier } from '@supergraph/auth';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { connectMongo, createInMemoryEventBus } from '@supergraph/subgraph-kit';
import { createContext, type CatalogServices } from './context.js';
import { registerProductModel } from './model.js';
import { registerReservationModel } from './reservation-model.js';
import { Reservations } from './reservations.js';
import { testDatabaseUri } from '@supergraph/subgraph-kit/testing';

let connection: Connection;
let services: CatalogServices;
const userKey = testSigningKey('users');
const issuer = new AccessTokenIssuer(userKey);

beforeAll(async () => {
  const logger = createLogger('test', 'silent');
  connection = await connectMongo(testDatabaseUri('catalog_context'), logger);
  const products = registerProductModel(connection);
  const events = createInMemoryEventBus('unit-catalog-context', logger);
  services = {
    products,
    reservations: new Reservations(products, registerReservationModel(connection), events, logger),
    tokens: new AccessTokenVerifier(publicKeysOf(userKey)),
    events,
    logger,
  };
});

afterAll(async () => {
  await services?.events.dispose();
  await connection?.dropDatabase().catch(() => {});
  await connection?.close();
});

describe('createContext', () => {
  it('takes the orders service (as its verified credential named it) as the internal caller, not as a user', async () => {
    const ctx = await createContext(services, undefined, { ip: undefined, service: 'orders' });
    expect(ctx.internalCaller).toBe('orders');
    expect(ctx.auth.viewer).toBeNull();
  });

  it('does not treat a user token, even an admin one, arriving through the gateway as an internal caller', async () => {
    const { token } = await issuer.issue({ id: 'a1', role: 'ADMIN' });
    const ctx = await createContext(services, `Bearer ${token}`, { ip: undefined, service: 'gateway' });
    expect(ctx.internalCaller).toBeNull();
    expect(ctx.auth.viewer).toEqual({ id: 'a1', role: 'ADMIN' });
  });

  it('has neither for an anonymous request', async () => {
    const ctx = await createContext(services, undefined);
    expect(ctx.internalCaller).toBeNull();
    expect(ctx.auth).toEqual({ viewer: null, tokenProblem: null });
  });

  it('gives every request a fresh product loader that reads the database', async () => {
    const created = await services.products.create({
      sku: `CTX-${randomBytes(3).toString('hex')}`,
      name: 'Madhubani Print',
      category: 'Art',
      pricePaise: 250000,
      stock: 2,
    });
    const a = await createContext(services, undefined);
    const b = await createContext(services, undefined);
    expect(a.loaders.productById).not.toBe(b.loaders.productById);
    const loaded = await a.loaders.productById.load(String(created._id));
    expect(loaded).toMatchObject({ name: 'Madhubani Print', pricePaise: 250000, stock: 2, sku: created.sku });
  });
});
