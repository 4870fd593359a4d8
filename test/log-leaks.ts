import { readFileSync } from 'node:fs';

/** What must never be in a log line: personal data and credentials, by shape. */
const LEAK_PATTERNS: [string, RegExp][] = [
  ['email address', /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/],
  ['JSON Web Token', /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/],
  ['bearer token', /Bearer\s+(?!\[token\])\S+/i],
  // Not inside a longer token: a UUID such as a request id (50959211-5662-…) is digits and dashes too.
  ['phone number', /(?<![\w.:-])\+?\d(?:[\s-]?\d){9,14}(?![\w-]|\.\d)/],
];

export interface Leak {
  what: string;
  line: string;
}

/**
 * Every log line (of SERVICE_LOG_FILE, which `npm test` has each service write to) holding an
 * email, phone number, token or one of `secrets` (passwords the tests use). The line is cut
 * around what was found so a report shows where without repeating all of it.
 */
export function findLeaks(logFile: string, secrets: string[]): Leak[] {
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .flatMap((line) => leaksIn(line, secrets));
}

/** What `text` (one log line, one span's attributes) holds of personal data, tokens or `secrets`. */
export function leaksIn(text: string, secrets: string[] = []): Leak[] {
  const leaks: Leak[] = [];
  for (const [what, pattern] of LEAK_PATTERNS) if (pattern.test(text)) leaks.push({ what, line: text.slice(0, 300) });
  for (const secret of secrets) if (text.includes(secret)) leaks.push({ what: 'a password the tests use', line: text.slice(0, 300) });
  return leaks;
}

/** Passwords the tests sign up and log in with (test/helpers.ts and the admin of the shared stack). */
export const TEST_PASSWORDS = [
  'correct-horse-42',
  'batch-password-1',
  'budget-pass-1',
  'outbox-pass-1',
  'restart-pass-1',
  'outage-pass-1',
  'saffron-rice-9',
  'another-pass-1',
  'long-enough-1',
  'trace-pass-1',
];
