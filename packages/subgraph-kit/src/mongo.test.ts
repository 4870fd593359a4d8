import { describe, expect, it } from 'vitest';
import mongoose from 'mongoose';
import { ErrorCode } from '@supergraph/runtime';
import { databaseOutage, isDatabaseUnavailableError, isDuplicateKeyError } from './index.js';

describe('isDuplicateKeyError', () => {
  it('recognises code 11000 only', () => {
    expect(isDuplicateKeyError(Object.assign(new Error('E11000 duplicate key'), { code: 11000 }))).toBe(true);
    expect(isDuplicateKeyError({ code: 11000 })).toBe(true);
    expect(isDuplicateKeyError({ code: '11000' })).toBe(false);
    expect(isDuplicateKeyError(new Error('E11000 duplicate key'))).toBe(false);
    expect(isDuplicateKeyError(null)).toBe(false);
    expect(isDuplicateKeyError(11000)).toBe(false);
  });
});

describe('isDatabaseUnavailableError and databaseOutage', () => {
  const { MongoNetworkError, MongoNetworkTimeoutError, MongoServerSelectionError, MongoServerError, MongoTopologyClosedError } =
    mongoose.mongo;

  it('recognises the driver errors of an unreachable database, and no others', () => {
    const reachable = new MongoServerError({ message: 'E11000 duplicate key', code: 11000 });
    expect(isDatabaseUnavailableError(new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'))).toBe(true);
    expect(isDatabaseUnavailableError(new MongoNetworkTimeoutError('socket timed out'))).toBe(true);
    expect(isDatabaseUnavailableError(new MongoTopologyClosedError())).toBe(true);
    expect(
      isDatabaseUnavailableError(
        new MongoServerSelectionError('Server selection timed out after 2000 ms', {
          type: 'Unknown',
          servers: new Map(),
          stale: false,
          compatible: true,
          heartbeatFrequencyMS: 10_000,
          localThresholdMS: 15,
          setName: null,
          maxElectionId: null,
          maxSetVersion: null,
          commonWireVersion: 0,
          logicalSessionTimeoutMinutes: null,
        } as never),
      ),
    ).toBe(true);
    // Node's own error for a command written to a socket the database had just closed, as the driver passes it on.
    expect(isDatabaseUnavailableError(Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' }))).toBe(
      true,
    );
    expect(isDatabaseUnavailableError(reachable)).toBe(false);
    expect(isDatabaseUnavailableError(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe(false);
    expect(isDatabaseUnavailableError(new Error('connect ECONNREFUSED'))).toBe(false);
    expect(isDatabaseUnavailableError(null)).toBe(false);
  });

  it('names the service in a SERVICE_UNAVAILABLE error without the driver detail', () => {
    const translated = databaseOutage('orders')(new MongoNetworkError('connect ECONNREFUSED 10.1.1.1:27017'));
    expect(translated?.message).toBe('the orders database is unavailable; retry shortly');
    expect(translated?.extensions.code).toBe(ErrorCode.ServiceUnavailable);
    expect(databaseOutage('orders')(new Error('something else'))).toBeUndefined();
  });
});
