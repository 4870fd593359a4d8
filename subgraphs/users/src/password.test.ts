import { describe, expect, it } from 'vitest';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from './password.js';

describe('hashPassword / verifyPassword', () => {
  it('verifies the right password and refuses a wrong one', async () => {
    const stored = await hashPassword('correct-horse-42');
    expect(await verifyPassword('correct-horse-42', stored)).toBe(true);
    expect(await verifyPassword('correct-horse-43', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores scheme, parameters, salt and hash, never the password', async () => {
    const stored = await hashPassword('correct-horse-42');
    const [scheme, n, r, p, salt, hash] = stored.split('$');
    expect(scheme).toBe('scrypt');
    // OWASP's current minimum for scrypt.
    expect(Number(n)).toBeGreaterThanOrEqual(2 ** 17);
    expect(Number(r)).toBeGreaterThanOrEqual(8);
    expect(Number(p)).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(salt, 'base64')).toHaveLength(16);
    expect(Buffer.from(hash, 'base64')).toHaveLength(64);
    expect(stored).not.toContain('correct-horse-42');
  });

  it("asks for a new hash when a stored one was made with other parameters than today's", async () => {
    const current = await hashPassword('correct-horse-42');
    expect(needsRehash(current)).toBe(false);
    const [, , r, p, salt, hash] = current.split('$');
    expect(needsRehash(['scrypt', 32768, r, p, salt, hash].join('$'))).toBe(true);
    expect(needsRehash(['scrypt', 2 ** 17, 4, p, salt, hash].join('$'))).toBe(true);
    expect(needsRehash(['scrypt', 2 ** 17, r, p, salt, Buffer.alloc(32).toString('base64')].join('$'))).toBe(true);
    expect(needsRehash('bcrypt$2b$10$whatever')).toBe(true);
  });

  it('salts every hash', async () => {
    const [a, b] = await Promise.all([hashPassword('same-password'), hashPassword('same-password')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same-password', a)).toBe(true);
    expect(await verifyPassword('same-password', b)).toBe(true);
  });

  it('verifies with the parameters stored in the hash, so they can be raised later', async () => {
    // A hash made with cheaper parameters than today's still verifies.
    const stored = await hashPassword('legacy-password');
    const [, , , , salt] = stored.split('$');
    const { scryptSync } = await import('node:crypto');
    const legacyKey = scryptSync('legacy-password', Buffer.from(salt, 'base64'), 32, { N: 1024, r: 8, p: 1 });
    const legacy = ['scrypt', 1024, 8, 1, salt, legacyKey.toString('base64')].join('$');
    expect(await verifyPassword('legacy-password', legacy)).toBe(true);
    expect(await verifyPassword('other-password', legacy)).toBe(false);
  });

  it('treats Unicode compositions of the same text as the same password', async () => {
    const composed = 'caf\u00e9-masala';
    const decomposed = 'cafe\u0301-masala';
    const stored = await hashPassword(composed);
    expect(await verifyPassword(decomposed, stored)).toBe(true);
  });

  it('refuses stored values that are not scrypt hashes', async () => {
    expect(await verifyPassword('anything', 'anything')).toBe(false);
    expect(await verifyPassword('anything', '')).toBe(false);
    expect(await verifyPassword('x', 'bcrypt$10$8$1$c2FsdA==$aGFzaA==')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$32768$8$1$$')).toBe(false);
  });

  it('answers false, without throwing, for a corrupt stored hash', async () => {
    const good = await hashPassword('pass-word-1');
    const [, , r, p, salt, hash] = good.split('$');
    for (const corrupt of [
      `scrypt$abc$${r}$${p}$${salt}$${hash}`,
      `scrypt$3$${r}$${p}$${salt}$${hash}`,
      `scrypt$32768$0$${p}$${salt}$${hash}`,
      `scrypt$${2 ** 24}$${r}$${p}$${salt}$${hash}`,
      `scrypt$32768$${r}$${p}$${salt}$AAAA`,
    ]) {
      await expect(verifyPassword('pass-word-1', corrupt), corrupt).resolves.toBe(false);
    }
  });

  it('keeps one decoy hash that no ordinary password matches', async () => {
    const decoy = await decoyPasswordHash();
    expect(await decoyPasswordHash()).toBe(decoy);
    expect(decoy.startsWith('scrypt$')).toBe(true);
    expect(await verifyPassword('', decoy)).toBe(false);
    expect(await verifyPassword('password123', decoy)).toBe(false);
  });
});
