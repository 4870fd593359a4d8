import { describe, expect, it } from 'vitest';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { loadOrdersConfig } from './server.js';
import { financialYearLabel, formatDocumentNumber, readInvoicePrefix, seriesName } from './invoice-numbers.js';

describe('invoice numbering', () => {
  it('labels the Indian financial year (April to March, Indian time)', () => {
    expect(financialYearLabel(new Date('2026-12-06T00:00:00Z'))).toBe('2026-27');
    expect(financialYearLabel(new Date('2027-03-31T18:29:59Z'))).toBe('2026-27');
    // 00:00 on 1 April in India is 18:30 UTC on 31 March.
    expect(financialYearLabel(new Date('2027-03-31T18:30:00Z'))).toBe('2027-28');
    expect(financialYearLabel(new Date('2099-06-01T00:00:00Z'))).toBe('2099-00');
  });

  it('formats numbers per series, credit notes in a series of their own', () => {
    const at = new Date('2026-12-06T00:00:00Z');
    expect(formatDocumentNumber(seriesName('BM', 'INVOICE', at), 1)).toBe('BM/2026-27/000001');
    expect(formatDocumentNumber(seriesName('BM', 'CREDIT_NOTE', at), 42)).toBe('BM-CN/2026-27/000042');
    expect(formatDocumentNumber('BM/2026-27', 1_234_567)).toBe('BM/2026-27/1234567');
  });

  it('reads INVOICE_PREFIX, BM unless set', () => {
    expect(readInvoicePrefix({})).toBe('BM');
    expect(readInvoicePrefix({ INVOICE_PREFIX: 'BHM1' })).toBe('BHM1');
    expect(() => readInvoicePrefix({ INVOICE_PREFIX: 'bm/x' })).toThrow(/INVOICE_PREFIX must be 1 to 6 capital letters or digits/);
  });
});

describe('orders configuration for invoices', () => {
  const base = {
    NODE_ENV: 'development',
    GATEWAY_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('gateway')) }),
    USER_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(testSigningKey('users')) }),
    ORDERS_SERVICE_SIGNING_KEY: JSON.stringify(testSigningKey('orders')),
  };
  const workerKeys = JSON.stringify({ keys: publicKeysOf(testSigningKey('worker')) });

  it('trusts the worker for the internal invoice operations: required in production, optional elsewhere', () => {
    expect(loadOrdersConfig(base).serviceCallers).toEqual([]);
    expect(loadOrdersConfig({ ...base, WORKER_SERVICE_PUBLIC_KEYS: workerKeys, INVOICE_PREFIX: 'XY' })).toMatchObject({
      invoicePrefix: 'XY',
      serviceCallers: [expect.objectContaining({ issuer: 'worker', audience: 'orders-internal' })],
    });
    expect(() => loadOrdersConfig({ ...base, NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/shop' })).toThrow(
      /WORKER_SERVICE_PUBLIC_KEYS/,
    );
  });
});
