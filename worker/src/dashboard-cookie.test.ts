import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { cookieToken, dashboardCookie } from './dashboard-cookie.js';

const attributes = (cookie: string) => cookie.split('; ').slice(1);

describe('dashboardCookie', () => {
  it('is HttpOnly, SameSite=Strict, for the dashboard’s path only, and lives as long as the token', () => {
    const cookie = dashboardCookie('a.b.c', { path: '/admin/queues', maxAgeSeconds: 899.7, secure: false });
    expect(cookie.split('; ')[0]).toBe('queue_dashboard_token=a.b.c');
    expect(attributes(cookie).sort()).toEqual(['HttpOnly', 'Max-Age=899', 'Path=/admin/queues', 'SameSite=Strict']);
    expect(dashboardCookie('a.b.c', { path: '/admin/queues', maxAgeSeconds: -5, secure: false })).toContain('Max-Age=0');
  });

  it('is Secure in production', () => {
    const cookie = dashboardCookie('a.b.c', { path: '/admin/queues', maxAgeSeconds: 60, secure: true });
    expect(attributes(cookie).sort()).toEqual(['HttpOnly', 'Max-Age=60', 'Path=/admin/queues', 'SameSite=Strict', 'Secure']);
  });

  it('round-trips the token through the Cookie header a browser sends back', () => {
    const [pair] = dashboardCookie('x=y;z', { path: '/', maxAgeSeconds: 1, secure: true }).split('; ');
    const req = { headers: { cookie: `other=1; ${pair}` } } as IncomingMessage;
    expect(cookieToken(req)).toBe('x=y;z');
    expect(cookieToken({ headers: {} } as IncomingMessage)).toBeUndefined();
  });
});
