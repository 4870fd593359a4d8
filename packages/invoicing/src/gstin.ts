/**
 * GSTIN: 15 characters — the state code (2 digits), the holder's PAN (5 letters, 4 digits, 1
 * letter), an entity number (1-9 or A-Z), the letter Z, and a check character computed over the
 * first 14 (base 36, alternating weights 1 and 2, digit sums of the products).
 */

const CHARSET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const SHAPE = /^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z]Z[0-9A-Z]$/;

export function gstinCheckCharacter(first14: string): string {
  let sum = 0;
  for (let i = 0; i < 14; i++) {
    const product = CHARSET.indexOf(first14[i]) * (i % 2 === 0 ? 1 : 2);
    sum += Math.floor(product / 36) + (product % 36);
  }
  return CHARSET[(36 - (sum % 36)) % 36];
}

/** Why a GSTIN is not valid, or null when it is. */
export function gstinProblem(gstin: string): string | null {
  if (!SHAPE.test(gstin)) {
    return 'must be 15 characters: 2-digit state code, 10-character PAN, entity number, Z, check character (e.g. 27AAPFU0939F1ZV)';
  }
  const expected = gstinCheckCharacter(gstin.slice(0, 14));
  if (gstin[14] !== expected) return `has a wrong check character (${gstin[14]}; the first 14 characters give ${expected})`;
  return null;
}
