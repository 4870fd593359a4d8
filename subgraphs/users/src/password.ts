import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

// scrypt parameters: N=2^17, r=8, p=1 is OWASP's current minimum for scrypt (128 MiB and about half
// a second per hash on a small machine), slow enough to make offline guessing expensive. They are
// stored with each hash, so hashes made with older, cheaper ones still verify and are upgraded on
// the next successful login (`needsRehash`).
const PARAMS = { N: 2 ** 17, r: 8, p: 1, keyLength: 64 };

function derive(password: string, salt: Buffer, n: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { N: n, r, p, maxmem: 128 * n * r * 2 };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Returns "scrypt$N$r$p$salt$hash" (base64 parts). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, PARAMS.N, PARAMS.r, PARAMS.p, PARAMS.keyLength);
  return ['scrypt', PARAMS.N, PARAMS.r, PARAMS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

const STORED = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

/** Checks a password against a stored hash. A hash that is not one this module writes never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const match = STORED.exec(stored);
  if (!match) return false;
  const [n, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const powerOfTwo = n > 1 && (n & (n - 1)) === 0;
  if (!powerOfTwo || n > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(match[5], 'base64');
  if (expected.length < 16) return false;
  const actual = await derive(password, Buffer.from(match[4], 'base64'), n, r, p, expected.length);
  return timingSafeEqual(actual, expected);
}

/** True for a stored hash made with other parameters than today's: hash the password again after a successful login. */
export function needsRehash(stored: string): boolean {
  const match = STORED.exec(stored);
  if (!match) return true;
  const keyLength = Buffer.from(match[5], 'base64').length;
  return Number(match[1]) !== PARAMS.N || Number(match[2]) !== PARAMS.r || Number(match[3]) !== PARAMS.p || keyLength !== PARAMS.keyLength;
}

/** A hash of a random password, compared against when the email is unknown so timing does not reveal which emails exist. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return decoyHash;
}
