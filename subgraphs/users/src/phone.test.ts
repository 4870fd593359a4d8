import { describe, expect, it } from 'vitest';
import { thrownGraphQLError } from '@supergraph/runtime/testing';
import { normaliseIndianMobile } from './phone.js';

describe('normaliseIndianMobile', () => {
  it.each([
    ['98765 43210', '+919876543210'],
    ['+91-98765-43210', '+919876543210'],
    ['09876543210', '+919876543210'],
    ['9876543210', '+919876543210'],
    ['+91 98765 43210', '+919876543210'],
    ['  +919876543210  ', '+919876543210'],
    ['6000000000', '+916000000000'],
  ])('reads %j as %s', (raw, e164) => {
    expect(normaliseIndianMobile(raw)).toBe(e164);
  });

  it.each(['', '98765', '5876543210', '+449876543210', '919876543210', '98765432101', '+91 98765 4321x', '00919876543210', 'ninetyeight'])(
    'refuses %j as BAD_USER_INPUT naming the field',
    (raw) => {
      const error = thrownGraphQLError(() => normaliseIndianMobile(raw, 'phone'));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'phone' });
      expect(error.message).toMatch(/^phone: must be a 10-digit Indian mobile number/);
    },
  );

  it('names the field it is given', () => {
    expect(thrownGraphQLError(() => normaliseIndianMobile('123', 'input.phone')).extensions.field).toBe('input.phone');
  });
});
