import type { IncomingMessage } from 'node:http';

/** The cookie that keeps a browser's admin token between dashboard pages. */
export const DASHBOARD_COOKIE = 'queue_dashboard_token';

/** The token a browser sent in the dashboard's cookie, if any. */
export function cookieToken(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === DASHBOARD_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/**
 * The Set-Cookie value that keeps `token` for `maxAgeSeconds` (until it expires), sent only to the
 * dashboard's paths, never to scripts (HttpOnly) nor with another site's requests (SameSite=Strict).
 * `secure` (production) adds Secure: an admin's token must not cross a plain-HTTP hop.
 */
export function dashboardCookie(token: string, options: { path: string; maxAgeSeconds: number; secure: boolean }): string {
  const attributes = [`Path=${options.path}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(options.maxAgeSeconds))}`];
  if (options.secure) attributes.push('Secure');
  return [`${DASHBOARD_COOKIE}=${encodeURIComponent(token)}`, ...attributes].join('; ');
}
