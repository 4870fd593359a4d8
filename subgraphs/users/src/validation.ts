import { badInput } from '@supergraph/runtime';
import type { SignUpInput } from './generated/resolvers-types.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
// Indian mobile numbers: 10 digits starting 6-9, optionally prefixed with +91 or 0.
const INDIAN_MOBILE = /^(?:\+91|0)?([6-9]\d{9})$/;

export function normaliseEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) throw badInput('email', 'must be an email address like name@example.in');
  return value;
}

export function validateSignUp(input: SignUpInput): SignUpInput {
  const name = input.name.trim();
  if (name.length < 1 || name.length > 100) throw badInput('name', 'must be 1 to 100 characters');
  const email = normaliseEmail(input.email);
  if (input.password.length < 8) throw badInput('password', 'must be at least 8 characters');
  if (input.password.length > 200) throw badInput('password', 'must be at most 200 characters');
  let phone: string | null = null;
  if (input.phone !== undefined && input.phone !== null && input.phone.trim() !== '') {
    const match = INDIAN_MOBILE.exec(input.phone.replace(/[\s-]/g, ''));
    if (!match) throw badInput('phone', 'must be a 10-digit Indian mobile number, optionally with +91');
    phone = `+91${match[1]}`;
  }
  const city = input.city?.trim() || null;
  if (city !== null && city.length > 100) throw badInput('city', 'must be at most 100 characters');
  return { name, email, password: input.password, phone, city };
}
