import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_CONFIG, readCacheConfig } from './config.js';

describe('readCacheConfig', () => {
  it('defaults to on, 60 s for entities, 10 s for listings', () => {
    expect(readCacheConfig({})).toEqual(DEFAULT_CACHE_CONFIG);
    expect(DEFAULT_CACHE_CONFIG).toMatchObject({ enabled: true, entityTtlSeconds: 60, listingTtlSeconds: 10 });
  });

  it('reads every variable', () => {
    expect(
      readCacheConfig({
        CACHE: 'off',
        CACHE_TTL_SECONDS: '30',
        CACHE_LISTING_TTL_SECONDS: '5',
        CACHE_NEGATIVE_TTL_SECONDS: '2',
        CACHE_LOCK_MS: '500',
      }),
    ).toEqual({ enabled: false, entityTtlSeconds: 30, listingTtlSeconds: 5, negativeTtlSeconds: 2, lockMs: 500 });
  });

  it.each([
    ['CACHE', 'yes', /CACHE must be "on" or "off"/],
    ['CACHE_TTL_SECONDS', '0', /CACHE_TTL_SECONDS must be a whole number from 1/],
    ['CACHE_LISTING_TTL_SECONDS', 'ten', /CACHE_LISTING_TTL_SECONDS/],
    ['CACHE_NEGATIVE_TTL_SECONDS', '-1', /CACHE_NEGATIVE_TTL_SECONDS/],
    ['CACHE_LOCK_MS', '1', /CACHE_LOCK_MS/],
  ])('stops on %s=%s with a message naming it', (name, value, message) => {
    expect(() => readCacheConfig({ [name]: value })).toThrow(message);
  });
});
