import { describe, expect, it } from 'vitest';
import { publicKeysOf, testSigningKey } from '@supergraph/auth/testing';
import { configErrorMessage } from '@supergraph/runtime/testing';
import { loadWorkerConfig, WORKER_DEFAULT_PORT } from './config.js';

const userKey = testSigningKey('users');
const base = {
  WORKER_SERVICE_SIGNING_KEY: JSON.stringify(testSigningKey('worker')),
  USER_TOKEN_PUBLIC_KEYS: JSON.stringify({ keys: publicKeysOf(userKey) }),
};

describe('loadWorkerConfig', () => {
  it('logs messages instead of sending them in development, and serves the dashboard there', () => {
    const config = loadWorkerConfig({ ...base, NODE_ENV: 'development' });
    expect(config.port).toBe(WORKER_DEFAULT_PORT);
    expect(config.host).toBe('127.0.0.1');
    expect(config.smsWebhookUrl).toBeUndefined();
    expect(config.dashboard).toEqual({ tokenKeys: publicKeysOf(userKey) });
    expect(config.usersUrl).toBe('http://localhost:4001/graphql');
  });

  it('needs SMS_WEBHOOK_URL in production, and serves the dashboard there only when switched on', () => {
    expect(configErrorMessage(() => loadWorkerConfig({ ...base, NODE_ENV: 'production' }))).toMatch(
      /SMS_WEBHOOK_URL is required in production/,
    );
    const upstreams = { USERS_URL: 'https://users.internal/graphql', ORDERS_URL: 'https://orders.internal/graphql' };
    const seller = {
      SELLER_NAME: 'Test Seller Private Limited',
      SELLER_ADDRESS: '1 Test Road; Pune 411001',
      SELLER_GSTIN: '27AABCB1234F1Z8',
      SELLER_STATE: 'Maharashtra',
    };
    const production = { ...base, ...upstreams, ...seller, NODE_ENV: 'production', SMS_WEBHOOK_URL: 'https://sms.example.in/send' };
    expect(loadWorkerConfig(production)).toMatchObject({ smsWebhookUrl: 'https://sms.example.in/send', dashboard: null });
    expect(loadWorkerConfig(production).invoicing).toMatchObject({ ordersUrl: upstreams.ORDERS_URL, usersUrl: upstreams.USERS_URL });
    // Upstreams and the seller are never guessed in production.
    const { USERS_URL: _users, ...withoutUsers } = production;
    expect(configErrorMessage(() => loadWorkerConfig(withoutUsers))).toMatch(/USERS_URL/);
    const { SELLER_NAME: _name, ...withoutSeller } = production;
    expect(configErrorMessage(() => loadWorkerConfig(withoutSeller))).toMatch(/SELLER_NAME/);
    expect(loadWorkerConfig({ ...production, QUEUE_DASHBOARD: 'on' }).dashboard).not.toBeNull();
  });

  it('names what is wrong', () => {
    expect(configErrorMessage(() => loadWorkerConfig({ ...base, NODE_ENV: 'test', SMS_WEBHOOK_URL: 'ftp://x' }))).toMatch(
      /SMS_WEBHOOK_URL must use/,
    );
    expect(configErrorMessage(() => loadWorkerConfig({ NODE_ENV: 'test', USER_TOKEN_PUBLIC_KEYS: base.USER_TOKEN_PUBLIC_KEYS }))).toMatch(
      /WORKER_SERVICE_SIGNING_KEY/,
    );
    expect(configErrorMessage(() => loadWorkerConfig({ ...base, NODE_ENV: 'test', JOBS_LOCK_MS: '5' }))).toMatch(/JOBS_LOCK_MS/);
  });
});
