import { badInput, hasUnprintable } from '@supergraph/runtime';
import type { SignUpInput } from './generated/resolvers-types.js';
import { normaliseIndianMobile } from './phone.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function normaliseEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) throw badInput('email', 'must be an email address like name@example.in');
  return value;
}

export function validateSignUp(input: SignUpInput): SignUpInput {
  const name = validateName(input.name);
  const email = normaliseEmail(input.email);
  if (input.password.length < 8) throw badInput('password', 'must be at least 8 characters');
  if (input.password.length > 200) throw badInput('password', 'must be at most 200 characters');
  const phone = input.phone !== undefined && input.phone !== null && input.phone.trim() !== '' ? normaliseIndianMobile(input.phone) : null;
  return { name, email, password: input.password, phone, city: validateCity(input.city) };
}

/** A display name: 1 to 100 characters once trimmed, on one line. */
export function validateName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 100) throw badInput('name', 'must be 1 to 100 characters');
  if (hasUnprintable(name)) throw badInput('name', 'must be one line of printable text (no control or direction characters)');
  return name;
}

/** A city, or null when missing or blank; at most 100 characters. */
export function validateCity(raw: string | null | undefined): string | null {
  const city = raw?.trim() || null;
  if (city !== null && city.length > 100) throw badInput('city', 'must be at most 100 characters');
  if (city !== null && hasUnprintable(city))
    throw badInput('city', 'must be one line of printable text (no control or direction characters)');
  return city;
}
