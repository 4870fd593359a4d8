import { decodeJwt } from 'jose';

/** The token of an `Authorization: Bearer <token>` value, or null when the value is not of that form. */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  return match ? match[1] : null;
}

/** Reads the bearer token a client put in its graphql-ws connection_init payload (or an HTTP header map). */
export function authorizationFrom(params: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = params?.authorization ?? params?.Authorization;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The longest a Node timer can wait (~24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a bearer JWT expires (ms since epoch), read without verifying it: it only bounds how long a
 * socket or stream opened with the token may live (the subgraphs refuse a token that does not
 * verify, whatever its `exp` says). Null for anything that is not a JWT with a usable `exp`, and
 * for an expiry further away than a timer can wait (left to the next reconnect).
 */
export function tokenExpiry(authorization: string | undefined): number | null {
  const token = bearerToken(authorization);
  if (!token) return null;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp * 1000 - Date.now() < MAX_TIMER_MS ? exp * 1000 : null;
  } catch {
    return null;
  }
}
