/**
 * Amounts in words as Indian invoices write them: the Indian system of thousands, lakhs (10^5) and
 * crores (10^7), e.g. 12345678 paise → "Rupees One Lakh Twenty-Three Thousand Four Hundred
 * Fifty-Six and Seventy-Eight Paise Only".
 */

const ONES = [
  '',
  'One',
  'Two',
  'Three',
  'Four',
  'Five',
  'Six',
  'Seven',
  'Eight',
  'Nine',
  'Ten',
  'Eleven',
  'Twelve',
  'Thirteen',
  'Fourteen',
  'Fifteen',
  'Sixteen',
  'Seventeen',
  'Eighteen',
  'Nineteen',
];
const TENS = ['', '', 'Twenty', 'Thirty', 'Forty', 'Fifty', 'Sixty', 'Seventy', 'Eighty', 'Ninety'];

function belowHundred(n: number): string {
  if (n < 20) return ONES[n];
  const unit = n % 10;
  return unit === 0 ? TENS[Math.floor(n / 10)] : `${TENS[Math.floor(n / 10)]}-${ONES[unit]}`;
}

function belowThousand(n: number): string {
  const hundreds = Math.floor(n / 100);
  const rest = n % 100;
  return [hundreds ? `${ONES[hundreds]} Hundred` : '', rest ? belowHundred(rest) : ''].filter(Boolean).join(' ');
}

/** A whole number in words, Indian style; "Zero" for 0. Crores repeat for amounts beyond 99 crore. */
export function numberInWords(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`a whole number 0 or more is expected (got ${n})`);
  if (n === 0) return 'Zero';
  const crores = Math.floor(n / 10_000_000);
  const lakhs = Math.floor((n % 10_000_000) / 100_000);
  const thousands = Math.floor((n % 100_000) / 1_000);
  const rest = n % 1_000;
  return [
    crores ? `${numberInWords(crores)} Crore` : '',
    lakhs ? `${belowHundred(lakhs)} Lakh` : '',
    thousands ? `${belowHundred(thousands)} Thousand` : '',
    rest ? belowThousand(rest) : '',
  ]
    .filter(Boolean)
    .join(' ');
}

export function amountInWords(paise: number): string {
  if (!Number.isSafeInteger(paise) || paise < 0) throw new RangeError(`an amount in whole paise, 0 or more, is expected (got ${paise})`);
  const rupees = Math.floor(paise / 100);
  const rest = paise % 100;
  const parts = [`Rupees ${numberInWords(rupees)}`];
  if (rest) parts.push(`and ${numberInWords(rest)} Paise`);
  return `${parts.join(' ')} Only`;
}

/** Rupees with paise and Indian digit grouping, e.g. 12345678 → "1,23,456.78". */
export function formatRupees(paise: number): string {
  const rupees = Math.floor(paise / 100);
  const digits = String(rupees);
  // The last three digits form a group; before them, groups of two (lakh, crore).
  const head = digits.slice(0, -3);
  const grouped = head ? `${head.replace(/\B(?=(\d{2})+$)/g, ',')},${digits.slice(-3)}` : digits;
  return `${grouped}.${String(paise % 100).padStart(2, '0')}`;
}
