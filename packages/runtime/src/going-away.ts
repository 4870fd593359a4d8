/**
 * How long a WebSocket closed with 1001 ("going away") on shutdown has to answer the closing
 * handshake before it is dropped: the ws library waits 30 s for a peer that never answers, which
 * would hold the shutdown up.
 */
export const CLOSE_HANDSHAKE_MS = 2_000;

/**
 * Runs `dispose` (graphql-ws's, which closes every socket with 1001 "Going away" and waits until
 * they are gone) and drops the sockets that have not finished closing after `handshakeMs`.
 */
export async function closeGoingAway(
  sockets: Iterable<{ terminate(): void }>,
  dispose: () => Promise<void> | void,
  handshakeMs = CLOSE_HANDSHAKE_MS,
): Promise<void> {
  const open = [...sockets];
  const timer = setTimeout(() => {
    for (const socket of open) socket.terminate();
  }, handshakeMs);
  try {
    await dispose();
  } finally {
    clearTimeout(timer);
  }
}
