import type { IncomingMessage } from 'node:http';

/**
 * The address of the client a request came from. Behind `trustedProxyHops` proxies (load
 * balancers that append to X-Forwarded-For), it is the entry that many hops from the right; with
 * none, the connection's own address, and X-Forwarded-For is ignored, since any client can send it.
 */
export function clientIpOf(req: IncomingMessage, trustedProxyHops: number): string | undefined {
  const socketAddress = req.socket.remoteAddress;
  if (trustedProxyHops === 0) return socketAddress;
  const header = req.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // The last proxy appended the address it saw; each proxy before it did the same.
  return chain[chain.length - trustedProxyHops] ?? chain[0] ?? socketAddress;
}
