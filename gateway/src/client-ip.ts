import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

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
  // The last proxy appended the address it saw; each proxy before it did the same. A chain shorter
  // than the proxies we trust did not come through them (a client reached us directly and wrote
  // the header itself), and anything that is not an address is not one.
  const entry = chain.length >= trustedProxyHops ? chain[chain.length - trustedProxyHops] : undefined;
  return entry !== undefined && isIP(entry) !== 0 ? entry : socketAddress;
}
