import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * The address of the client a request came from. Behind `trustedProxyHops` proxies (load
 * balancers that append to X-Forwarded-For), it is the entry that many hops from the right; with
 * none, the connection's own address, and X-Forwarded-For is ignored, since any client can send it.
 */
export function clientIpOf(req: IncomingMessage, trustedProxyHops: number): string | undefined {
  const address = rawClientIp(req, trustedProxyHops);
  return address === undefined ? undefined : budgetAddress(address);
}

/**
 * The address budgets count by: an IPv4 address as it is (also when written IPv4-mapped,
 * `::ffff:a.b.c.d`), an IPv6 address by its /64, which is what one subscriber gets; counting
 * whole IPv6 addresses would give every client 2^64 budgets.
 */
export function budgetAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (isIP(address) !== 6) return address;
  return `${expandIpv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, zero-padded and lower-case (a zone id is dropped). */
function expandIpv6(address: string): string[] {
  const [head, tail = ''] = address.split('%')[0].toLowerCase().split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  let left = parse(head);
  let right = address.includes('::') ? parse(tail) : [];
  // A trailing embedded IPv4 address counts as two groups.
  const toGroups = (groups: string[]) =>
    groups.flatMap((group) => {
      if (!group.includes('.')) return [group];
      const [a, b, c, d] = group.split('.').map(Number);
      return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
    });
  left = toGroups(left);
  right = toGroups(right);
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => group.padStart(4, '0'));
}

function rawClientIp(req: IncomingMessage, trustedProxyHops: number): string | undefined {
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
