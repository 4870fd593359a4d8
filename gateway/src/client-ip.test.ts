import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { budgetAddress, clientIpOf } from './client-ip.js';

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({
    socket: { remoteAddress },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as IncomingMessage;

describe('clientIpOf', () => {
  it('uses the connection address and ignores X-Forwarded-For without trusted proxies (a client can send anything)', () => {
    expect(clientIpOf(request('203.0.113.7', '1.2.3.4'), 0)).toBe('203.0.113.7');
  });

  it('behind one proxy takes the address that proxy appended', () => {
    expect(clientIpOf(request('10.0.0.2', 'spoofed-by-client, 198.51.100.20'), 1)).toBe('198.51.100.20');
  });

  it('behind two proxies takes the entry two hops from the right', () => {
    expect(clientIpOf(request('10.0.0.2', 'spoofed, 198.51.100.20, 10.0.0.9'), 2)).toBe('198.51.100.20');
  });

  it('falls back to the connection address when the header is missing, too short for the trusted proxies, or not an address', () => {
    expect(clientIpOf(request('10.0.0.2'), 1)).toBe('10.0.0.2');
    // A client that reached the gateway directly and wrote the header itself.
    expect(clientIpOf(request('203.0.113.7', '6.6.6.6'), 2)).toBe('203.0.113.7');
    expect(clientIpOf(request('10.0.0.2', 'not-an-address'), 1)).toBe('10.0.0.2');
  });
});

describe('budgetAddress', () => {
  it('counts an IPv6 client by its /64, so one subscriber cannot pick a fresh address per request', () => {
    expect(budgetAddress('2001:db8:0:1::1')).toBe('2001:0db8:0000:0001::/64');
    expect(budgetAddress('2001:db8:0:1::2')).toBe(budgetAddress('2001:db8:0:1::1'));
    expect(budgetAddress('2001:db8:0:1:ffff:ffff:ffff:ffff')).toBe(budgetAddress('2001:db8:0:1::1'));
    expect(budgetAddress('2001:db8:0:2::1')).not.toBe(budgetAddress('2001:db8:0:1::1'));
    expect(budgetAddress('::1')).toBe('0000:0000:0000:0000::/64');
    expect(budgetAddress('fe80::1%eth0')).toBe('fe80:0000:0000:0000::/64');
  });

  it('counts an IPv4 address written IPv4-mapped as the IPv4 address itself', () => {
    expect(budgetAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(budgetAddress('::FFFF:203.0.113.7')).toBe('203.0.113.7');
    expect(budgetAddress('203.0.113.7')).toBe('203.0.113.7');
  });
});
