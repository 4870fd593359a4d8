import { badInput } from '@supergraph/runtime';

// Indian mobile numbers: 10 digits starting 6-9, optionally after +91 or a trunk 0.
const INDIAN_MOBILE = /^(?:\+91|0)?([6-9]\d{9})$/;

/**
 * An Indian mobile number as people write it (`98765 43210`, `+91-98765-43210`, `09876543210`) in
 * E.164 (`+919876543210`); anything else is BAD_USER_INPUT naming `field`.
 */
export function normaliseIndianMobile(raw: string, field = 'phone'): string {
  const match = INDIAN_MOBILE.exec(raw.replace(/[\s-]/g, ''));
  if (!match) throw badInput(field, 'must be a 10-digit Indian mobile number, optionally with +91 or a leading 0');
  return `+91${match[1]}`;
}
