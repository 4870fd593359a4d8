import { describe, expect, it } from 'vitest';
import { readSellerDetails } from './config.js';
import { gstinCheckCharacter as checkFor } from './gstin.js';

const seller = {
  SELLER_NAME: 'Chennai Silks LLP',
  SELLER_ADDRESS: '1 Anna Salai; Chennai 600002',
  SELLER_STATE: 'Tamil Nadu',
};

describe('seller configuration', () => {
  it('reads the seller, address lines and state', () => {
    const fixed = { ...seller, SELLER_GSTIN: `33AAPFU0939F1Z${checkFor('33AAPFU0939F1Z')}` };
    const details = readSellerDetails({ NODE_ENV: 'production', ...fixed });
    expect(details).toMatchObject({ name: 'Chennai Silks LLP', address: ['1 Anna Salai', 'Chennai 600002'], state: { code: '33' } });
  });

  it('requires every seller variable in production', () => {
    expect(() => readSellerDetails({ NODE_ENV: 'production' })).toThrow(/SELLER_NAME is required in production/);
  });

  it('gives development a valid sample seller', () => {
    expect(readSellerDetails({ NODE_ENV: 'test' })).toMatchObject({ gstin: '27AABCB1234F1Z8', state: { name: 'Maharashtra' } });
  });

  it('refuses a GSTIN that fails its check or belongs to another state', () => {
    expect(() => readSellerDetails({ NODE_ENV: 'test', SELLER_GSTIN: '27AABCB1234F1Z9' })).toThrow(
      /SELLER_GSTIN has a wrong check character/,
    );
    expect(() => readSellerDetails({ NODE_ENV: 'test', SELLER_GSTIN: '27AAPFU0939F1ZV', SELLER_STATE: 'Karnataka' })).toThrow(
      /registered in Maharashtra \(code 27\), not SELLER_STATE Karnataka \(29\)/,
    );
    expect(() => readSellerDetails({ NODE_ENV: 'test', SELLER_STATE: 'Atlantis' })).toThrow(/SELLER_STATE must name an Indian state/);
  });
});
