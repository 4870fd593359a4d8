/**
 * The hash in a key Apollo Server gives its persisted query store: it wraps the store so every key is
 * "apq:" and the client's sha256Hash. Anything else (not a SHA-256 in hex) is no hash: never looked up.
 */
export function hashOfKey(key: string): string | undefined {
  return /^apq:([0-9a-f]{64})$/.exec(key)?.[1];
}
