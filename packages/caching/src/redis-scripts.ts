import type { Redis } from 'ioredis';

// The few steps that must be atomic in Redis, as Lua scripts (Redis runs each one whole, with no
// other command in between). Every key a script touches is passed in KEYS.

/**
 * Stores values only where the key's generation is still the one read before the database was:
 * a write that bumped it meanwhile (see INVALIDATE) wins, so a slow fill never puts back what the
 * write replaced. KEYS: value, generation pairs; ARGV: ttl ms, expected generation, value triples.
 */
const STORE_IF_CURRENT = `
local stored = 0
for i = 1, #KEYS, 2 do
  local j = (i - 1) / 2 * 3
  local current = redis.call('GET', KEYS[i + 1]) or ''
  if current == ARGV[j + 2] then
    redis.call('SET', KEYS[i], ARGV[j + 3], 'PX', ARGV[j + 1])
    stored = stored + 1
  end
end
return stored`;

/** Drops each value and bumps its generation. KEYS: value, generation pairs; ARGV: how long a generation is kept (ms). */
const INVALIDATE = `
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return #KEYS / 2`;

/** Frees a fill lock only if this caller still holds it (it may have expired and been taken by another). */
const UNLOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface Store {
  key: string;
  generationKey: string;
  generation: string;
  value: string;
  ttlMs: number;
}

/** Stores each value whose generation did not move; returns how many were stored. */
export async function storeIfCurrent(redis: Redis, stores: Store[]): Promise<number> {
  if (stores.length === 0) return 0;
  const keys = stores.flatMap((s) => [s.key, s.generationKey]);
  const args = stores.flatMap((s) => [String(s.ttlMs), s.generation, s.value]);
  return Number(await redis.eval(STORE_IF_CURRENT, keys.length, ...keys, ...args));
}

export async function invalidate(redis: Redis, pairs: { key: string; generationKey: string }[], generationTtlMs: number): Promise<void> {
  if (pairs.length === 0) return;
  const keys = pairs.flatMap((p) => [p.key, p.generationKey]);
  await redis.eval(INVALIDATE, keys.length, ...keys, String(generationTtlMs));
}

export async function unlock(redis: Redis, key: string, token: string): Promise<void> {
  await redis.eval(UNLOCK, 1, key, token);
}
