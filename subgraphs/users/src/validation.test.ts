import { describe, expect, it } from 'vitest';
import { GraphQLError } from 'graphql';
import { normaliseEmail, validateCity, validateName, validateSignUp } from './validation.js';
import type { SignUpInput } from './generated/resolvers-types.js';

const valid: SignUpInput = { name: 'Priya Sharma', email: 'priya@example.in', password: 'correct-horse-42' };

function fieldOf(fn: () => unknown): { field: unknown; code: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    const e = error as GraphQLError;
    return { field: e.extensions.field, code: e.extensions.code, message: e.message };
  }
  throw new Error('expected the call to throw');
}

describe('validateSignUp', () => {
  it('returns trimmed, normalised input', () => {
    expect(
      validateSignUp({ name: '  Priya Sharma ', email: '  Priya@Example.IN ', password: 'correct-horse-42', phone: null, city: '  Pune ' }),
    ).toEqual({ name: 'Priya Sharma', email: 'priya@example.in', password: 'correct-horse-42', phone: null, city: 'Pune' });
  });

  it.each([
    ['9876543210', '+919876543210'],
    ['+919876543210', '+919876543210'],
    ['+91 98765 43210', '+919876543210'],
    ['098765-43210', '+919876543210'],
    ['6000000000', '+916000000000'],
  ])('normalises the phone number %s to %s', (phone, expected) => {
    expect(validateSignUp({ ...valid, phone }).phone).toBe(expected);
  });

  it('treats a missing or blank phone as none', () => {
    expect(validateSignUp({ ...valid }).phone).toBeNull();
    expect(validateSignUp({ ...valid, phone: '   ' }).phone).toBeNull();
  });

  it.each(['5876543210', '98765', '+449876543210', '919876543210', '98765432101', 'ninetyeight'])(
    'refuses the phone number %s naming `phone`',
    (phone) => {
      const { field, code } = fieldOf(() => validateSignUp({ ...valid, phone }));
      expect(code).toBe('BAD_USER_INPUT');
      expect(field).toBe('phone');
    },
  );

  it.each(['priya', 'priya@', '@example.in', 'priya@example', 'pri ya@example.in', 'a@b@c.in', ''])(
    'refuses the email %j naming `email`',
    (email) => {
      const { field, code, message } = fieldOf(() => validateSignUp({ ...valid, email }));
      expect(code).toBe('BAD_USER_INPUT');
      expect(field).toBe('email');
      expect(message).toMatch(/^email: /);
    },
  );

  it('refuses an email over 254 characters', () => {
    expect(fieldOf(() => validateSignUp({ ...valid, email: `${'a'.repeat(250)}@example.in` })).field).toBe('email');
  });

  it('refuses a password under 8 or over 200 characters naming `password`', () => {
    expect(fieldOf(() => validateSignUp({ ...valid, password: 'short12' })).field).toBe('password');
    expect(fieldOf(() => validateSignUp({ ...valid, password: 'p'.repeat(201) })).field).toBe('password');
    expect(validateSignUp({ ...valid, password: 'exactly8' }).password).toBe('exactly8');
    expect(validateSignUp({ ...valid, password: 'p'.repeat(200) }).password).toHaveLength(200);
  });

  it('keeps the password exactly as typed', () => {
    expect(validateSignUp({ ...valid, password: '  spaced out  ' }).password).toBe('  spaced out  ');
  });

  it('refuses a blank or over-long name naming `name`', () => {
    expect(fieldOf(() => validateSignUp({ ...valid, name: '   ' })).field).toBe('name');
    expect(fieldOf(() => validateSignUp({ ...valid, name: 'n'.repeat(101) })).field).toBe('name');
  });

  it('refuses a city over 100 characters and treats a blank one as none', () => {
    expect(fieldOf(() => validateSignUp({ ...valid, city: 'c'.repeat(101) })).field).toBe('city');
    expect(validateSignUp({ ...valid, city: '  ' }).city).toBeNull();
  });
});

describe('normaliseEmail', () => {
  it('trims and lower-cases', () => {
    expect(normaliseEmail('  Rahul.Verma@Example.CO.IN  ')).toBe('rahul.verma@example.co.in');
  });
});

describe('validateName and validateCity', () => {
  it('take one printable line, Indian scripts included', () => {
    expect(validateName('  प्रिया शर्मा ')).toBe('प्रिया शर्मा');
    expect(validateCity('Bengaluru')).toBe('Bengaluru');
    expect(validateCity('   ')).toBeNull();
  });

  it('refuse line breaks, other control characters and direction overrides, naming the field', () => {
    // A line break in a name would print as a forged line on an invoice ("GSTIN: …").
    expect(fieldOf(() => validateName('Priya\nGSTIN: 29AABCB1234F1Z8'))).toMatchObject({ field: 'name', code: 'BAD_USER_INPUT' });
    expect(fieldOf(() => validateName('Priya\u0007'))).toMatchObject({ field: 'name' });
    expect(fieldOf(() => validateName('Priya \u202Eahsa'))).toMatchObject({ field: 'name' });
    expect(fieldOf(() => validateCity('Mumbai\r\nKarnataka'))).toMatchObject({ field: 'city', code: 'BAD_USER_INPUT' });
    // Line and paragraph separators: PDF renderers break lines at them too.
    expect(fieldOf(() => validateName('Priya Sharma\u2028GSTIN: 27AAAAA0000A1Z5'))).toMatchObject({ field: 'name' });
    expect(fieldOf(() => validateCity('Pune\u2029GSTIN: 27AAAAA0000A1Z5'))).toMatchObject({ field: 'city' });
  });

  it('keep the zero-width joiners Indic names are spelled with', () => {
    expect(validateName('\u0915\u094D\u200D\u0937')).toBe('\u0915\u094D\u200D\u0937');
    expect(validateName('\u0D28\u0D4D\u200C\u0D28')).toBe('\u0D28\u0D4D\u200C\u0D28');
  });
});
